"""Every [decided] point of DOMAIN.md that dedup owns, in one place for a province to read.

Where the Ministry's document is silent or ambiguous the platform decided as below.
"""

# §2 Names are compared after NFKC, trimming, removing inner white space, full-width →
# half-width (NFKC does that), upper-casing Latin letters and unifying these middle-dot variants.
MIDDLE_DOTS = "·•・‧∙⋅･"
CANONICAL_MIDDLE_DOT = "·"

# §2 A resident-ID record whose number field is empty is deduplicated like every other ID
# type: by name + gender + birth date. (The document names only "resident ID with a number".)
RESIDENT_ID_WITHOUT_NUMBER_USES_NAME_GENDER_BIRTH = True

# §2 Identity keys are HMACs with a secret pepper over this digest; raw numbers are never stored.
KEY_HASH = "sha256"

# §3 Local cross-checks are reported as ID_NOT_FOUND detail reasons (format, check_digit,
# region, birth_date, birth_date_mismatch, gender_mismatch); abolished region codes (any code
# that ever appeared in GB/T 2260 since 1980) are accepted.
ACCEPT_ABOLISHED_REGION_CODES = True

# §8 What others see of a member: surname then one asterisk per further character; an ID
# number shows its first 3 and last 2 characters.
MASK_NAME_KEEP = 1
MASK_ID_KEEP_START, MASK_ID_KEEP_END = 3, 2
