"""Regenerate instances/data/hourly_greensboro.csv from the NREL TMY3 file that pvlib ships.

Needs pvlib and windpowerlib (not planner dependencies; install them in a venv of your own):

    pip install pvlib windpowerlib
    python scripts/make_hourly_profile.py [-o instances/data/hourly_greensboro.csv]

Source: NREL TMY3 station 723170, Greensboro Piedmont Triad Intl, NC (public domain, US
Government work), as `pvlib/data/723170TYA.CSV`: a typical meteorological year whose months
come from different years (1980-2003). Columns written, one row per hour in the file's order:

- `hour`: 0..8759, the hour of the year; hour 0 is January 1, 00:00-01:00 local standard time
  (UTC-5), the TMY3 row labelled 01:00 (TMY3 values are hour-ending).
- `solar`: AC capacity factor of a fixed, south-facing PV array (tilt 25 degrees) through
  pvlib's PVWatts chain: sun position at mid-hour, Hay-Davies transposition (extraterrestrial
  irradiance from pvlib's `get_extra_radiation`), SAPM cell temperature (open rack,
  glass/polymer), PVWatts DC model (gamma -0.0037/K), PVWatts default losses (14.1 %), DC/AC
  ratio 1.2 and PVWatts inverter; AC output over AC nameplate, so values lie in [0, 1].
- `wind`: capacity factor of a Vestas V126/3450 (power curve from windpowerlib's turbine
  library) at 100 m hub height; the 10 m wind speed is scaled by the power law with exponent
  1/7 (Hellman), and the power curve is density-corrected with the barometric air density at
  hub height.
- `load`: a datacenter-like load in per unit of IT load: 1 (flat IT load) + 0.08 (fixed
  overhead: UPS and distribution losses, lighting) + 0.015 per degree C of dry-bulb air
  temperature above 15 C (mechanical cooling; free cooling below 15 C).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

TILT = 25.0
AZIMUTH = 180.0
GAMMA_PDC = -0.0037
DC_AC_RATIO = 1.2
TURBINE = "V126/3450"
HUB_HEIGHT = 100.0
WIND_HEIGHT = 10.0
HELLMAN = 1 / 7
LOAD_BASE = 1.08
LOAD_COOLING = 0.015
LOAD_FREE_COOLING_BELOW = 15.0
OUT = Path(__file__).resolve().parents[1] / "instances" / "data" / "hourly_greensboro.csv"


def read_tmy3() -> tuple[pd.DataFrame, dict]:
    """The TMY3 file of Greensboro, NC shipped in pvlib's data folder."""
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    if len(data) != 8760:
        raise SystemExit(f"{path}: expected 8760 rows, found {len(data)}")
    return data, meta


def solar_capacity_factor(data: pd.DataFrame, meta: dict) -> np.ndarray:
    """PVWatts-style AC capacity factor of a fixed-tilt array (see the module docstring)."""
    import pvlib

    # TMY3 values are hour-ending averages: take the sun's position at mid-hour.
    times = data.index - pd.Timedelta(minutes=30)
    location = pvlib.location.Location(
        meta["latitude"], meta["longitude"], tz="Etc/GMT+5", altitude=meta["altitude"]
    )
    sun = location.get_solarposition(times, temperature=data["temp_air"].to_numpy())
    poa = pvlib.irradiance.get_total_irradiance(
        TILT,
        AZIMUTH,
        sun["apparent_zenith"].to_numpy(),
        sun["azimuth"].to_numpy(),
        data["dni"].to_numpy(),
        data["ghi"].to_numpy(),
        data["dhi"].to_numpy(),
        dni_extra=pvlib.irradiance.get_extra_radiation(times).to_numpy(),
        model="haydavies",
        albedo=0.2,
    )
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)).clip(min=0)
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
    temp_cell = pvlib.temperature.sapm_cell(
        poa_global, data["temp_air"].to_numpy(), data["wind_speed"].to_numpy(), **params
    )
    pdc0 = DC_AC_RATIO  # DC nameplate per unit of AC nameplate
    pdc = pvlib.pvsystem.pvwatts_dc(poa_global, temp_cell, pdc0, GAMMA_PDC)
    pdc = pdc * (1 - pvlib.pvsystem.pvwatts_losses() / 100)
    pac = pvlib.inverter.pvwatts(pdc, pdc0=1.0 / 0.96)  # AC limit 1 = AC nameplate
    return np.clip(np.asarray(pac, dtype=float), 0.0, 1.0)


def wind_capacity_factor(data: pd.DataFrame) -> np.ndarray:
    """Capacity factor of the windpowerlib turbine at hub height (see the module docstring)."""
    from windpowerlib import WindTurbine, density, power_output, temperature, wind_speed

    turbine = WindTurbine(hub_height=HUB_HEIGHT, turbine_type=TURBINE)
    speed = wind_speed.hellman(
        data["wind_speed"], WIND_HEIGHT, HUB_HEIGHT, hellman_exponent=HELLMAN
    )
    temp_hub = temperature.linear_gradient(data["temp_air"] + 273.15, 2.0, HUB_HEIGHT)
    # TMY3 station pressure is in mbar, at the station (taken as 0 m above ground).
    rho = density.barometric(data["pressure"] * 100.0, 0.0, HUB_HEIGHT, temp_hub)
    curve = turbine.power_curve
    power = power_output.power_curve(
        speed,
        curve["wind_speed"],
        curve["value"],
        density=rho,
        density_correction=True,
    )
    return np.clip(np.asarray(power, dtype=float) / turbine.nominal_power, 0.0, 1.0)


def datacenter_load(data: pd.DataFrame) -> np.ndarray:
    """Flat IT load plus overhead plus cooling that rises with the air temperature."""
    temp = data["temp_air"].to_numpy(dtype=float)
    return LOAD_BASE + LOAD_COOLING * np.clip(temp - LOAD_FREE_COOLING_BELOW, 0.0, None)


def build() -> pd.DataFrame:
    """The hourly frame: hour, solar, wind, load."""
    data, meta = read_tmy3()
    return pd.DataFrame(
        {
            "hour": np.arange(len(data)),
            "solar": solar_capacity_factor(data, meta),
            "wind": wind_capacity_factor(data),
            "load": datacenter_load(data),
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the CSV atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as handle:
            frame.to_csv(handle, index=False, float_format="%.4f", lineterminator="\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    frame = build()
    write_csv(frame, args.output)
    means = ", ".join(f"{c} {frame[c].mean():.4f}" for c in ("solar", "wind", "load"))
    print(f"wrote {args.output} ({len(frame)} rows; annual means: {means})")


if __name__ == "__main__":
    main()
