"""Whether schedules hold a feature on or off at an instant.

Contract used by the engine (implementation owned by the schedules work):

    schedule_state(schedules: Sequence[ScheduleSpec], now: datetime) -> bool | None

returns None when there are no schedules (the master switch alone decides), else True/False.
"""
