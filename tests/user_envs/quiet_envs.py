"""A user's env module that imports fine but registers no env."""

GREETING = "no envs here"
