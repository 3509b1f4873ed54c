"""Background work after ``ack()``: the kit's task supervisor (:mod:`adapters.kit.tasks`) for Slack."""

from __future__ import annotations

from collections.abc import Callable

from adapters.kit.tasks import TaskSupervisor


class BackgroundTasks(TaskSupervisor):
    """A :class:`TaskSupervisor` whose tasks are named ``slack:<name>``."""

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__("slack", on_error)
