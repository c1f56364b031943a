#ifndef CAMPAIGN_PHONE_NUMBERS_H
#define CAMPAIGN_PHONE_NUMBERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What normalising one phone number found.
typedef enum {
    PN_OK = 0,
    PN_INVALID_COUNTRY_CODE = 1,  ///< no country uses the calling code, or no code and no region
    PN_NOT_A_NUMBER = 2,          ///< the text does not look like a phone number at all
    PN_TOO_SHORT = 3,
    PN_TOO_LONG = 4,
    PN_INVALID_LENGTH = 5,        ///< a length the numbering plan never uses
    PN_NOT_IN_USE = 6,            ///< the right shape, but no number of any type is assigned there
} pn_status;

/// Normalises `input` (UTF-8, `length` bytes) to E.164, reading numbers without a country code
/// as numbers of `region` (ISO 3166 two-letter code, NUL-terminated).
/// On PN_OK writes the NUL-terminated E.164 text to `out` (at least 24 bytes) and the calling
/// code to `country_code`. Safe to call from several threads at once.
pn_status pn_normalize(const char *input, size_t length, const char *region, char *out, int *country_code);

/// The same answer as pn_normalize from libphonenumber's own Parse, IsValidNumber and Format
/// alone, without the fast paths: the reference the tests compare pn_normalize with.
pn_status pn_normalize_reference(const char *input, size_t length, const char *region, char *out,
                                 int *country_code);

/// 1 when libphonenumber knows `region` (NUL-terminated, e.g. "US"), else 0.
int pn_is_known_region(const char *region);

/// The region (ISO 3166 two-letter code) a valid E.164 number belongs to, written NUL-terminated to `out`
/// (at least 3 bytes); returns 1, or 0 when the number is not valid or belongs to no single region.
int pn_region_of_number(const char *e164, char *out);

/// How many regions use the calling code `country_code` (0 for an unknown code); when exactly one, it is
/// written NUL-terminated to `out` (at least 3 bytes).
int pn_regions_for_code(int country_code, char *out);

#ifdef __cplusplus
}
#endif

#endif
