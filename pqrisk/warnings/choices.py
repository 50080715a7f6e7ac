"""Warning choices. Colours, issuers and deadlines live with WarningLevel in the domain core."""

from pqrisk.core.levels import Attention, Scope, WarningLevel, WarningMode
from pqrisk.core.workflow import WARNING_MACHINE

WARNING_LEVEL_CHOICES = WarningLevel.choices()
WARNING_MODE_CHOICES = WarningMode.choices()
SCOPE_CHOICES = Scope.choices()
ATTENTION_CHOICES = Attention.choices()
WARNING_STATE_CHOICES = list(WARNING_MACHINE.states.items())
OPEN_STATES = ("draft", "in_review", "approved", "published", "rejected")
