"""Every edge feature, once: when the config switches it on, and how it is built.

The agent and `culturehouse-edge check` both read FEATURES. A key is the feature's `name`,
which is also the owner of its commands in protocol.vocabulary.COMMANDS. The builders pick
each feature's own config section and scalars out of the EdgeConfig, and import the
feature's module only when called, so pycups and python-sane are needed only where
printing or scanning is switched on.
Pure: standard library and the edge config only (feature modules load when built).
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

from .config import EdgeConfig
from .feature import Feature, FeatureContext, Features


class Entry(NamedTuple):
    is_enabled: Callable[[EdgeConfig], bool]
    build: Callable[[EdgeConfig, FeatureContext], Feature]
    section: str = ""  # the config section `check` names ("" = no check lines of its own)
    label: str = ""  # catalogue key of the feature's name in check lines (common/locales)


def _printing(cfg: EdgeConfig, ctx: FeatureContext) -> Feature:
    from .printing.feature import PrintFeature
    return PrintFeature(cfg.printer, ctx, long_press=cfg.panel.long_press)


def _scanning(cfg: EdgeConfig, ctx: FeatureContext) -> Feature:
    from .scanning.feature import ScanFeature
    return ScanFeature(cfg.scanner, ctx, timezone=cfg.house.timezone,
                       language=cfg.house.language, long_press=cfg.panel.long_press,
                       copy_enabled=cfg.printer.enabled)


def _wifi(cfg: EdgeConfig, ctx: FeatureContext) -> Feature:
    from .wifi.feature import WifiFeature
    return WifiFeature(cfg.wifi, ctx, timezone=cfg.house.timezone)


def _help(cfg: EdgeConfig, ctx: FeatureContext) -> Feature:
    from .help import HelpFeature
    return HelpFeature(cfg.panel, ctx)


FEATURES: dict[str, Entry] = {
    "printing": Entry(lambda cfg: cfg.printer.enabled, _printing, "printer",
                      "check.feature.printer"),
    "scanning": Entry(lambda cfg: cfg.scanner.enabled, _scanning, "scanner",
                      "check.feature.scanner"),
    "wifi": Entry(lambda cfg: cfg.wifi.enabled, _wifi, "wifi", "check.feature.wifi"),
    # The HELP button's pin is checked with the other panel pins.
    "help": Entry(lambda cfg: bool(cfg.panel.help_button), _help),
}


def build_enabled(cfg: EdgeConfig, ctx: FeatureContext,
                  features: Mapping[str, Entry] = FEATURES) -> Features:
    """The features this config switches on, built in the registry's order (not started)."""
    return Features(entry.build(cfg, ctx) for entry in features.values() if entry.is_enabled(cfg))
