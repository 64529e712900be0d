"""Rooms of a grid, for the paper's last abstraction rule: when everything the goal names lies
in the agent's room, the other rooms are dropped from the abstract state (their objects and
doors cannot matter to it), so states that differ only elsewhere become one.

A room is a 4-connected region of tiles that are neither walls nor doors; what the agent sees
of its room are those tiles and the walls and doors around them.

Example:
    >>> walls = np.zeros((5, 3), bool); walls[2, :] = True   # x = 2 splits two rooms
    >>> room_view(walls[None], np.array([0]), np.array([1]))[0].astype(int).T
    array([[1, 1, 1, 0, 0],
           [1, 1, 1, 0, 0],
           [1, 1, 1, 0, 0]])
"""

from __future__ import annotations

from collections import deque

import numpy as np


def room_labels(barrier: np.ndarray) -> np.ndarray:
    """Each tile's room (0, 1, ...; -1 on walls and doors) for one (W, H) barrier mask."""
    labels = np.full(barrier.shape, -1, dtype=np.int64)
    width, height = barrier.shape
    rooms = 0
    for x in range(width):
        for y in range(height):
            if barrier[x, y] or labels[x, y] >= 0:
                continue
            labels[x, y] = rooms
            todo = deque([(x, y)])
            while todo:
                cx, cy = todo.popleft()
                for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                    inside = 0 <= nx < width and 0 <= ny < height
                    if inside and not barrier[nx, ny] and labels[nx, ny] < 0:
                        labels[nx, ny] = rooms
                        todo.append((nx, ny))
            rooms += 1
    return labels


def _with_surroundings(room: np.ndarray, barrier: np.ndarray) -> np.ndarray:
    """A room's tiles and the walls and doors that touch them (diagonals included)."""
    padded = np.pad(room, 1)
    grown = np.zeros_like(room)
    width, height = room.shape
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            grown |= padded[1 + dx : 1 + dx + width, 1 + dy : 1 + dy + height]
    return room | (grown & barrier)


def room_view(barriers: np.ndarray, agent_x: np.ndarray, agent_y: np.ndarray) -> np.ndarray:
    """For each state (``barriers`` (N, W, H): walls and doors; the agent's tile), the tiles
    of the agent's room with their walls and doors, (N, W, H) bool. Layouts repeat, so each
    distinct barrier mask is labelled once."""
    count = len(barriers)
    packed = np.packbits(barriers.reshape(count, -1), axis=1)
    distinct, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out = np.zeros(barriers.shape, bool)
    for index in range(len(distinct)):
        members = np.flatnonzero(inverse == index)
        barrier = barriers[members[0]]
        labels = room_labels(barrier)
        room_of_agent = labels[agent_x[members], agent_y[members]]
        for room in np.unique(room_of_agent):
            if room < 0:  # the agent on a door tile: it belongs to no single room
                continue
            out[members[room_of_agent == room]] = _with_surroundings(labels == room, barrier)
    return out
