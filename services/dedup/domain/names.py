"""Name normalisation for the name + gender + birth-date key (DOMAIN §2, decided).

The code is the contracts' (``xueji_contracts.names``), so the workflow finds a record by
name with exactly the normalisation dedup keys it by; dedup code imports it from here.
"""

from xueji_contracts.names import name_key, normalise_name

__all__ = ["name_key", "normalise_name"]
