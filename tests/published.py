"""The published EMPACT headline figures (DOMAIN.md), written out once for every test that checks them.

They are the test of the demo data and of the yearly factsheet, so they are copied from the
published table here rather than imported from the code under test.
"""

#: counted exactly
EXACT = {
    2022: {
        "arrests": 9922,
        "migrant_smugglers_arrested": 3646,
        "victims_identified": 4019,
        "investigations_initiated": 9262,
    },
    2023: {
        "arrests": 13871,
        "migrant_smugglers_arrested": 6801,
        "victims_identified": 7500,
        "investigations_initiated": 15644,
    },
}
#: published as "over EUR x million" and "over y t"
ASSETS_OVER_EUR = {2022: 180_000_000, 2023: 797_000_000}
DRUGS_OVER_KG = {2022: 62_000, 2023: 197_000}
