"""``governance monitor``: a deployed model's production log, window by window.

Each window is evaluated under the policies that admitted the model (docs/monitoring.md).

- :mod:`governance.monitor.windows`: the log read in time order and cut into windows;
- :mod:`governance.monitor.evaluate`: one window evaluated as the gate evaluates;
- :mod:`governance.monitor.run`: validation, the baseline, recording, idempotent re-runs;
- :mod:`governance.monitor.alerts`: one webhook alert per rule that starts failing.
"""

from governance.monitor.run import MonitorOptions, MonitorResult, WindowSummary, run_monitor

__all__ = ["MonitorOptions", "MonitorResult", "WindowSummary", "run_monitor"]
