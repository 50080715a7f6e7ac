"""Operations: the task queue's dead letters (死信) and the idempotency keys of tasks."""
