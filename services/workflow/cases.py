"""The use cases' shared unit (``usecases.Cases``) with the deadline scan as a method, the form
the process's background loop and the integration fixtures call it in."""

from .domain.deadlines import DeadlinePolicy
from .usecases import changing, fire_deadlines


class Cases(changing.Cases):
    async def fire_deadlines(self, policy: DeadlinePolicy) -> int:
        return await fire_deadlines(self, policy)
