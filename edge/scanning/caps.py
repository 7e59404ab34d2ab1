"""Device capabilities: which scanner is ours, and how each preset maps onto its options.

Pure: standard library and the scanner config only. Backends name the same thing
differently ("ADF", "ADF Front", "Automatic Document Feeder"; "Lineart", "Black & White"),
so presets say what they mean and this module finds the device's word for it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .config import DeviceMatch, Preset


@dataclass(frozen=True)
class OptionInfo:
    """One SANE option: kind is int | float | str | bool | button; constraint a tuple of
    allowed values, a (min, max, quant) range, or None."""

    name: str
    kind: str
    constraint: tuple | None = None
    is_range: bool = False
    settable: bool = True


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    vendor: str
    model: str
    type: str
    options: Mapping[str, OptionInfo]

    @property
    def label(self) -> str:
        return f"{self.vendor} {self.model}".strip()


@dataclass(frozen=True)
class ScanPlan:
    """The option values to set for one preset on one device, in order."""

    settings: tuple[tuple[str, Any], ...]
    mode: str
    resolution: int
    feeder: bool
    width_mm: float
    height_mm: float
    notes: tuple[str, ...] = ()


def pick_device(devices: list[tuple[str, str, str, str]], match: DeviceMatch) -> tuple | None:
    """The first (name, vendor, model, type) that matches, ordered by name; None if none."""
    def fits(dev: tuple) -> bool:
        name, vendor, model = dev[0], dev[1].lower(), dev[2].lower()
        return ((not match.name or name == match.name)
                and match.vendor.lower() in vendor and match.model.lower() in model
                and (not match.serial or match.serial.lower() in name.lower()))
    found = sorted((d for d in devices if fits(d)), key=lambda d: d[0])
    return found[0] if found else None


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def _is_feeder(v: str) -> bool:
    n = _norm(v)
    return "adf" in n.split() or "feeder" in n or n.startswith("automatic document")


def _is_flatbed(v: str) -> bool:
    n = _norm(v)
    return any(w in n for w in ("flatbed", "flat bed", "platen", "document table", "glass")) \
        or n == "normal"


_MODE_TESTS = {
    "gray": lambda n: ("gray" in n or "grey" in n) and "16" not in n,
    "color": lambda n: ("color" in n or "colour" in n) and "48" not in n and "16" not in n,
    "lineart": lambda n: n in ("lineart", "line art", "binary", "bw", "black & white",
                               "black and white", "black white", "monochrome"),
}


def _choose(values: tuple, test, prefer_plain: tuple[str, ...] = ()) -> Any:
    """The first allowed value passing `test`, preferring ones without the given words."""
    hits = [v for v in values if isinstance(v, str) and test(v)]
    plain = [v for v in hits if not any(w in _norm(v) for w in prefer_plain)]
    return (plain or hits or [None])[0]


def _nearest(opt: OptionInfo, want: float) -> float | None:
    if opt.constraint is None:
        return want
    if opt.is_range:
        lo, hi, quant = opt.constraint
        value = min(max(want, lo), hi)
        if quant:
            value = lo + round((value - lo) / quant) * quant
        return value
    numbers = [v for v in opt.constraint if isinstance(v, (int, float))]
    return min(numbers, key=lambda v: (abs(v - want), -v)) if numbers else None


def _convert(opt: OptionInfo, text: str) -> Any:
    """A config string to the option's type; ValueError with a reason if it cannot be."""
    if opt.kind == "bool":
        if text.lower() in ("yes", "true", "1", "on"):
            return True
        if text.lower() in ("no", "false", "0", "off"):
            return False
        raise ValueError("expected yes or no")
    value: Any = {"int": int, "float": float}.get(opt.kind, str)(text)
    if opt.constraint is not None and not opt.is_range and value not in opt.constraint:
        raise ValueError(f"must be one of {', '.join(map(str, opt.constraint))}")
    if opt.constraint is not None and opt.is_range and not opt.constraint[0] <= value <= opt.constraint[1]:
        raise ValueError(f"must be between {opt.constraint[0]} and {opt.constraint[1]}")
    return value


def plan_preset(preset: Preset, device: DeviceInfo) -> tuple[ScanPlan | None, list[str]]:
    """Match a preset against the device: (plan, []) or (None, reasons it cannot)."""
    opts, settings, problems, notes = device.options, [], [], []
    source = opts.get("source")
    if source is not None and source.settable and source.constraint:
        test = _is_feeder if preset.source == "feeder" else _is_flatbed
        value = _choose(source.constraint, test, ("duplex", "back", "rear"))
        if value is None:
            problems.append(f"source: the device offers no {preset.source} "
                            f"(it has {', '.join(map(str, source.constraint))})")
        else:
            settings.append(("source", value))
    elif preset.source == "feeder":
        problems.append("source: the device has no document feeder")
    mode = opts.get("mode")
    if mode is not None and mode.settable and mode.constraint:
        value = _choose(mode.constraint, lambda v: _MODE_TESTS[preset.mode](_norm(v)))
        depth = opts.get("depth")
        one_bit = depth is not None and depth.settable and not depth.is_range and 1 in (depth.constraint or ())
        if value is None and preset.mode == "lineart" and one_bit:
            # No lineart mode, but grey at 1 bit per pixel is the same thing.
            grey = _choose(mode.constraint, lambda v: _MODE_TESTS["gray"](_norm(v)))
            if grey is not None:
                settings += [("mode", grey), ("depth", 1)]
        elif value is None:
            problems.append(f"mode: the device offers no {preset.mode} mode "
                            f"(it has {', '.join(map(str, mode.constraint))})")
        else:
            settings.append(("mode", value))
            if depth is not None and depth.settable and depth.constraint and preset.mode != "lineart":
                if 8 in depth.constraint or depth.is_range:
                    settings.append(("depth", 8))
    elif preset.mode != "gray":
        problems.append(f"mode: the device cannot switch to {preset.mode}")
    resolution = opts.get("resolution")
    dpi = preset.resolution
    if resolution is not None and resolution.settable:
        near = _nearest(resolution, preset.resolution)
        if near is None:
            problems.append("resolution: the device lists no usable resolution")
        else:
            dpi = int(round(near))
            settings.append(("resolution", near if resolution.kind == "float" else dpi))
            if dpi != preset.resolution:
                notes.append(f"resolution {preset.resolution} dpi not offered, using {dpi}")
    width, height = preset.width_mm, preset.height_mm
    for axis, want in (("x", preset.width_mm), ("y", preset.height_mm)):
        tl, br = opts.get(f"tl-{axis}"), opts.get(f"br-{axis}")
        if tl is None or br is None or not br.settable:
            continue
        lo = tl.constraint[0] if tl.is_range and tl.constraint else 0.0
        hi = br.constraint[1] if br.is_range and br.constraint else want
        got = min(want, hi - lo)
        if got < want:
            notes.append(f"scan area {axis} limited to {got:g} mm by the device")
        settings += [(f"tl-{axis}", lo), (f"br-{axis}", lo + got)]
        width, height = (got, height) if axis == "x" else (width, got)
    for name, text in preset.options.items():
        opt = opts.get(name.replace("_", "-"))
        if opt is None or not opt.settable:
            problems.append(f"options.{name}: the device has no settable option {name!r}")
            continue
        try:
            settings.append((opt.name, _convert(opt, text)))
        except ValueError as exc:
            problems.append(f"options.{name}: {exc}")
    if problems:
        return None, problems
    if not all(math.isfinite(float(v)) for k, v in settings if isinstance(v, (int, float))):
        return None, ["geometry: the device reported an unusable scan area"]
    return ScanPlan(tuple(settings), preset.mode, dpi, preset.source == "feeder",
                    width, height, tuple(notes)), []


def plan_all(presets: Mapping[str, Preset], device: DeviceInfo) -> tuple[dict, list[str]]:
    """Plans for every preset the device can do, and problems ("preset x: ...") for the rest."""
    plans, problems = {}, []
    for name, preset in sorted(presets.items()):
        plan, why = plan_preset(preset, device)
        if plan is None:
            problems += [f"preset {name}: {w}" for w in why]
        else:
            plans[name] = plan
    return plans, problems
