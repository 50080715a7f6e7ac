from pqrisk.core.levels import DisposalRoute, WarningLevel
from pqrisk.core.workflow import DISPOSAL_MACHINE

DISPOSAL_STATE_CHOICES = list(DISPOSAL_MACHINE.states.items())
ROUTE_CHOICES = DisposalRoute.choices()
WARNING_LEVEL_CHOICES = WarningLevel.choices()
OPEN_STATES = ("open", "in_progress", "completed")
