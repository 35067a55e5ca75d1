"""What the results need to know about the model they came from, kept with them.

`ModelInfo` is built from the prepared data at solve time and written beside the result
tables (DIR/model.json), so that `planner explain` and `planner report` never read the
instance file again: names, layers, units, lead times, years, and for time slices the
represented hours and each storage technology's energy capacity per unit of capacity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from planner.model.data import ModelData, Tech


@dataclass
class ModelInfo:
    """Names, units, layers and timing of a solved model (JSON-friendly)."""

    name: str
    years: list[int]
    regions: list[str]
    technologies: dict[str, dict[str, Any]] = field(default_factory=dict)
    commodities: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    time: dict[str, Any] = field(default_factory=dict)
    """With slice commodities: {"represented_hours": H} (§11)."""

    @classmethod
    def of(cls, d: ModelData) -> ModelInfo:
        inst = d.instance
        return cls(
            name=inst.name,
            years=list(d.year_list),
            regions=list(d.regions),
            technologies={
                t.name: {
                    "layer": t.layer,
                    "output": t.output,
                    "capacity_unit": t.capacity_unit,
                    "output_unit": inst.commodities[t.output].unit,
                    "lead_time": t.lead_time,
                    "lifetime": t.lifetime,
                    "flexible": t.flex.commodity if t.flex is not None else None,
                    "regions": list(t.regions),
                    **_storage(d, t),
                }
                for t in d.techs
            },
            commodities={
                c: {"layer": com.layer, "unit": com.unit} for c, com in inst.commodities.items()
            },
            resources={
                p: {"unit": res.unit, "scope": res.scope} for p, res in inst.resources.items()
            },
            links={
                name: {"commodity": link.commodity, "from": link.from_, "to": link.to}
                for name, link in inst.links.items()
            },
            time=_time(d),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelInfo:
        return cls(**data)

    def unit(self, kind: str, name: str, money: str) -> str:
        """The unit of a limited quantity: kind is one of the registry's unit kinds."""
        if kind == "money":
            return money
        if kind == "resource":
            return str(self.resources.get(name, {}).get("unit", "")) or "unit"
        if kind == "capacity":
            return str(self.technologies.get(name, {}).get("capacity_unit", "")) or (
                "unit of capacity"
            )
        if kind == "output":
            return str(self.technologies.get(name, {}).get("output_unit", "")) or "unit of output"
        if kind == "link":
            commodity = self.links.get(name, {}).get("commodity", "")
            return str(self.commodities.get(commodity, {}).get("unit", "")) or "unit"
        if kind == "flexible":
            commodity = self.technologies.get(name, {}).get("flexible") or ""
            return str(self.commodities.get(commodity, {}).get("unit", "")) or "unit"
        if kind == "commodity":
            return str(self.commodities.get(name, {}).get("unit", "")) or "unit"
        return "unit"


def _time(d: ModelData) -> dict[str, Any]:
    """The represented hours H, where the model has slice commodities (with the slice
    weights w_t of the slices table they give ω_p = w_t H / δ_t)."""
    if not any(d.slice_commodity.values()):
        return {}
    return {"represented_hours": d.time.represented_hours}


def _storage(d: ModelData, t: Tech) -> dict[str, Any]:
    """For a storage technology its duration and, per region and model year, the energy
    capacity per unit of capacity (h_k / H) a_k(r, y) of §12.3."""
    if t.storage is None:
        return {}
    per_capacity = t.storage.duration / d.time.represented_hours * t.a
    return {
        "storage": {
            "duration": t.storage.duration,
            "energy_per_capacity": dict(zip(t.regions, per_capacity.tolist(), strict=True)),
        }
    }
