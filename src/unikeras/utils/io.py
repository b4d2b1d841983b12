"""Where progress output goes (Keras' interactive-logging switches) and Keras'
``keras.utils.Progbar``.

Interactive logging on (the default): messages are written to stdout. Off
(``keras.config.disable_interactive_logging()``, for batch jobs whose logs are collected):
each message goes to the ``logging`` logger ``"unikeras"`` at level INFO, without the
terminal control characters.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time

import numpy as np

_interactive = [True]
_logger = logging.getLogger("unikeras")


def enable_interactive_logging() -> None:
    _interactive[0] = True


def disable_interactive_logging() -> None:
    _interactive[0] = False


def is_interactive_logging_enabled() -> bool:
    return _interactive[0]


def print_msg(message: str, line_break: bool = True) -> None:
    """Write ``message`` to stdout, or to the ``"unikeras"`` logger when interactive
    logging is off."""
    if _interactive[0]:
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        text = message.replace("\b", "").replace("\r", "").strip()
        if text:
            _logger.info(text)


def _plain_terminal() -> bool:
    """Whether the bar is redrawn in place (backspaces and a carriage return) rather than
    written as new lines: Keras' rule (a terminal, a notebook, any POSIX system, PyCharm)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool((isatty and isatty()) or "ipykernel" in sys.modules
                or "posix" in sys.modules or "PYCHARM_HOSTED" in os.environ)


class Progbar:
    """Keras' ``keras.utils.Progbar(target, width=20, verbose=1, interval=0.05,
    stateful_metrics=None, unit_name="step")``: a progress bar drawn the way Keras draws
    it (``3/10 ━━━━━━━━━━ 1s 12ms/step - loss: 0.4210``). ``update(current, values)``
    sets the position; ``add(n, values)`` advances it. A value named in
    ``stateful_metrics`` is shown as given; others are averaged over the steps seen.
    ``verbose=2`` writes one line when the bar ends; ``target=None`` counts without a bar.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _plain_terminal()
        self._seen_so_far = 0
        self._values: dict = {}
        self._values_order: list = []
        self._start = time.time()
        self._last_update = 0.0
        self._prev_total_width = 0
        self._time_at_epoch_start = self._start
        self._time_after_first_step = None

    def update(self, current, values=None, finalize=None):
        """Move the bar to ``current``; ``values`` is a list of ``(name, value)`` for the
        last step. ``finalize`` (default: ``current >= target``) ends the line."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            elif finalize:
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] = total[0] + value * weight
                total[1] += weight
        self._seen_so_far = current
        now = time.time()
        per_unit = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target:
            digits = int(math.log10(self.target)) + 1
            line = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            line += self._format_time(per_unit) + self._metrics_text(exact=False)
            print_msg(line + "\n", line_break=False)
        self._last_update = now

    def add(self, n, values=None):
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------------ drawing
    def _draw(self, current, now, per_unit, finalize):
        message = ("\b" * self._prev_total_width + "\r") if self._dynamic_display else "\n"
        hidden = 0  # characters of colour codes, not counted in the width
        if self.target:
            digits = int(math.log10(self.target)) + 1
            bar = f"\x1b[1m{current:{digits}d}/{self.target}\x1b[0m "
            hidden += 8
            done = int(self.width * float(current) / self.target)
            if done > 0:
                bar += f"\x1b[32m{'━' * done}\x1b[0m"
                hidden += 9
            bar += f"\x1b[37m{'━' * (self.width - done)}\x1b[0m"
            hidden += 9
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            eta = per_unit * (self.target - current)
            if eta > 3600:
                text = f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
            elif eta > 60:
                text = f"{int(eta // 60)}:{int(eta % 60):02d}"
            else:
                text = f"{int(eta)}s"
        else:
            text = f"{now - self._start:.0f}s"
        info = f" \x1b[1m{text}\x1b[0m"
        hidden += 8
        info += self._format_time(per_unit) + self._metrics_text(exact=True)
        width = len(bar) + len(info) - hidden
        message += bar + info
        if self._prev_total_width > width:
            message += " " * (self._prev_total_width - width)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False)
        self._prev_total_width = width

    def _metrics_text(self, exact):
        out = ""
        for name in self._values_order:
            total, count = self._values[name]
            if not isinstance(total, float):
                total = float(np.mean(total))
            avg = total / max(1, count)
            small = abs(avg) <= 1e-3 if exact else avg <= 1e-3
            out += f" - {name}: {avg:.4e}" if small else f" - {name}: {avg:.4f}"
        return out

    def _format_time(self, per_unit):
        if per_unit >= 1 or per_unit == 0:
            return f" {per_unit:.0f}s/{self.unit_name}"
        if per_unit >= 1e-3:
            return f" {per_unit * 1e3:.0f}ms/{self.unit_name}"
        return f" {per_unit * 1e6:.0f}us/{self.unit_name}"

    def _step_duration(self, current, now):
        """Seconds per step; the first step (which compiles) is left out once more
        steps are seen, as Keras does."""
        if current == 1:
            self._time_after_first_step = now
        if current > 1 and self._time_after_first_step is not None:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current if current else 0
