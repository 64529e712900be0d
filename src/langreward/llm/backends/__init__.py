"""LLM backends: each turns a :class:`~langreward.llm.types.CompletionRequest` into a reply."""
