"""Unit tests of control/chalicelib: no AWS endpoint, no HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

CONTROL = Path(__file__).resolve().parents[3] / "control"
# Appended, not prepended: chalicelib is top-level as in the Lambda bundle, and the standard
# library keeps precedence over anything in control/.
if str(CONTROL) not in sys.path:
    sys.path.append(str(CONTROL))
