#include "PhoneNumbers.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <list>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace i18n {
namespace phonenumbers {
// libphonenumber's compiled-in metadata (its generated metadata.cc, exported by the library; the
// header declaring these is not installed).
int metadata_size();
const void *metadata_get();
}  // namespace phonenumbers
}  // namespace i18n

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/// Collects the digits of numbers written with nothing but digits, spaces, ( ) - . and an
/// optional leading '+'. Returns false for anything else, which takes libphonenumber's full parser.
bool plainDigits(const char *input, size_t length, char *digits, size_t *count, bool *plus) {
    *count = 0;
    *plus = false;
    bool seenNonSpace = false;
    for (size_t i = 0; i < length; i++) {
        char c = input[i];
        if (c >= '0' && c <= '9') {
            if (*count >= 20) return false;
            digits[(*count)++] = c;
            seenNonSpace = true;
        } else if (c == '+') {
            if (seenNonSpace) return false;
            *plus = true;
            seenNonSpace = true;
        } else if (c == ' ' || c == '(' || c == ')' || c == '-' || c == '.') {
            if (c != ' ') seenNonSpace = true;
        } else {
            return false;
        }
    }
    return true;
}

/// The North American fast path. libphonenumber's Parse spends most of its ~12 µs in ICU regular
/// expressions that cannot change the answer for these two shapes, where the result is known:
///   "+1" then ten digits starting 2-9   -> +1 and those ten digits
///   ten digits starting 2-9, NANP region -> +1 and those ten digits
/// (no international or national prefix can be stripped from a number starting 2-9, and the
/// ten digits are the whole national number). A test compares this path with Parse.
bool nanpFastPath(const char *input, size_t length, bool regionIsNanp, PhoneNumber *number) {
    char digits[24];
    size_t count;
    bool plus;
    if (!plainDigits(input, length, digits, &count, &plus)) return false;
    const char *national;
    if (plus && count == 11 && digits[0] == '1' && digits[1] >= '2' && digits[1] <= '9') {
        national = digits + 1;
    } else if (!plus && regionIsNanp && count == 10 && digits[0] >= '2' && digits[0] <= '9') {
        national = digits;
    } else {
        return false;
    }
    uint64_t value = 0;
    for (int i = 0; i < 10; i++) value = value * 10 + uint64_t(national[i] - '0');
    number->set_country_code(1);
    number->set_national_number(value);
    return true;
}

pn_status whyInvalid(const PhoneNumberUtil *util, const PhoneNumber &number) {
    switch (util->IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return PN_INVALID_COUNTRY_CODE;
    case PhoneNumberUtil::TOO_SHORT: return PN_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG: return PN_TOO_LONG;
    case PhoneNumberUtil::INVALID_LENGTH: return PN_INVALID_LENGTH;
    default: return PN_NOT_IN_USE;
    }
}

pn_status emit(const std::string &e164, const PhoneNumber &number, char *out, int *country_code) {
    if (e164.size() >= 24) return PN_TOO_LONG;
    std::memcpy(out, e164.c_str(), e164.size() + 1);
    *country_code = number.country_code();
    return PN_OK;
}

pn_status fromParseError(PhoneNumberUtil::ErrorType error) {
    switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return PN_INVALID_COUNTRY_CODE;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return PN_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN: return PN_TOO_LONG;
    default: return PN_NOT_A_NUMBER;
    }
}

}  // namespace

namespace {

/// libphonenumber's validity check for US numbers, with its own metadata and the same ICU regular
/// expressions, minus what it costs per call: IsValidNumberForRegion looks each pattern (some are
/// kilobytes long) up in a cache by hashing it, under a lock both validating threads contend for,
/// builds a new ICU matcher for it, and matches a pattern that fails twice (FullMatch, then
/// Consume to see whether a prefix matched). Here the patterns are compiled once and each thread
/// keeps its own matchers.
///
/// The rule is GetNumberTypeHelper's: a number is valid when it matches the general description
/// and the description of at least one number type (in any order), where a description with possible lengths
/// only matches numbers of those lengths, and one without a pattern matches nothing. It is only
/// ever used to say "valid": any other answer goes to libphonenumber itself.
class UsValidity {
  public:
    static const UsValidity &shared() {
        static const UsValidity validity;
        return validity;
    }

    /// True when libphonenumber would find `nsn` (the national significant number) valid for US.
    bool valid(const std::string &nsn) const {
        if (!ready_) return false;
        thread_local std::vector<std::unique_ptr<icu::RegexMatcher>> matchers;
        if (matchers.empty()) {
            for (const Desc &desc : descs_) {
                UErrorCode status = U_ZERO_ERROR;
                matchers.emplace_back(desc.pattern->matcher(status));
                if (U_FAILURE(status)) {
                    matchers.clear();
                    return false;
                }
            }
        }
        const icu::UnicodeString input = icu::UnicodeString::fromUTF8(nsn);
        const int length = static_cast<int>(nsn.size());
        auto matches = [&](size_t index) {
            const Desc &desc = descs_[index];
            if (!desc.lengths.empty() && std::find(desc.lengths.begin(), desc.lengths.end(), length) == desc.lengths.end())
                return false;
            icu::RegexMatcher &matcher = *matchers[index];
            matcher.reset(input);
            UErrorCode status = U_ZERO_ERROR;
            const bool matched = matcher.matches(status);
            return U_SUCCESS(status) && matched;
        };
        if (!matches(0)) return false;
        for (size_t index = 1; index < descs_.size(); index++) {
            if (matches(index)) return true;
        }
        return false;
    }

  private:
    struct Desc {
        std::vector<int> lengths;
        std::unique_ptr<icu::RegexPattern> pattern;
    };

    /// descs_[0] is the general description, the others the number types.
    std::vector<Desc> descs_;
    bool ready_ = false;

    UsValidity() {
        PhoneMetadataCollection collection;
        if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size()))
            return;
        for (const PhoneMetadata &metadata : collection.metadata()) {
            if (metadata.id() != "US") continue;
            if (!add(metadata.general_desc()) || descs_.empty()) return;
            // Validity needs only some type to match, so the types most numbers are come first
            // (GetNumberTypeHelper, which must name the type, tries them last).
            const PhoneNumberDesc *types[] = {
                &metadata.fixed_line(), &metadata.mobile(), &metadata.toll_free(), &metadata.premium_rate(),
                &metadata.shared_cost(), &metadata.voip(), &metadata.personal_number(), &metadata.pager(),
                &metadata.uan(), &metadata.voicemail(),
            };
            for (const PhoneNumberDesc *type : types) {
                if (!add(*type)) return;
            }
            ready_ = descs_.size() > 1;
            return;
        }
    }

    /// Compiles a description's pattern; one without a pattern matches nothing and is left out.
    bool add(const PhoneNumberDesc &desc) {
        if (desc.national_number_pattern().empty()) return true;
        UErrorCode status = U_ZERO_ERROR;
        UParseError where;
        std::unique_ptr<icu::RegexPattern> pattern(icu::RegexPattern::compile(
            icu::UnicodeString::fromUTF8(desc.national_number_pattern()), 0, where, status));
        if (U_FAILURE(status)) return false;
        descs_.push_back(Desc{std::vector<int>(desc.possible_length().begin(), desc.possible_length().end()),
                              std::move(pattern)});
        return true;
    }
};

/// libphonenumber takes a lock for each regular expression it looks up (about eight a number), and
/// two threads validating at once spent more time handing those locks to each other in the kernel
/// than matching. One lock a number held across the whole check is handed over far less often.
/// (Most numbers of a large import are US numbers that UsValidity settles without it.)
std::mutex validationLock;

pn_status normalize(const char *input, size_t length, const char *region, char *out, int *country_code) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    const std::string regionCode(region);
    bool fast = nanpFastPath(input, length, util->IsNANPACountry(regionCode), &number);
    if (!fast) {
        PhoneNumberUtil::ErrorType error = util->Parse(std::string(input, length), regionCode, &number);
        if (error != PhoneNumberUtil::NO_PARSING_ERROR) return fromParseError(error);
    }
    // For +1, "US" is the first region libphonenumber tries and it has no leading-digit rule, so a
    // number valid for the US is valid, and the costly search through the other NANP regions is
    // needed only when it is not.
    bool valid = number.country_code() == 1 && !number.italian_leading_zero()
        && UsValidity::shared().valid(std::to_string(number.national_number()));
    if (!valid) {
        std::lock_guard<std::mutex> hold(validationLock);
        valid = (number.country_code() == 1 && util->IsValidNumberForRegion(number, "US"))
            || util->IsValidNumber(number);
    }
    if (!valid) return whyInvalid(util, number);
    std::string e164;
    if (fast) {
        // Format(E164) is "+" + country code + national number; no leading zeros in this path.
        e164 = "+1" + std::to_string(number.national_number());
    } else {
        util->Format(number, PhoneNumberUtil::E164, &e164);
    }
    return emit(e164, number, out, country_code);
}

}  // namespace

extern "C" pn_status pn_normalize(const char *input, size_t length, const char *region, char *out,
                                  int *country_code) {
    return normalize(input, length, region, out, country_code);
}

extern "C" pn_status pn_normalize_reference(const char *input, size_t length, const char *region, char *out,
                                            int *country_code) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    PhoneNumberUtil::ErrorType error = util->Parse(std::string(input, length), std::string(region), &number);
    if (error != PhoneNumberUtil::NO_PARSING_ERROR) return fromParseError(error);
    if (!util->IsValidNumber(number)) return whyInvalid(util, number);
    std::string e164;
    util->Format(number, PhoneNumberUtil::E164, &e164);
    return emit(e164, number, out, country_code);
}

extern "C" int pn_is_known_region(const char *region) {
    std::set<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    return regions.count(std::string(region)) ? 1 : 0;
}

extern "C" int pn_region_of_number(const char *e164, char *out) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    if (!util->IsValidNumber(number)) return 0;
    std::string region;
    util->GetRegionCodeForNumber(number, &region);
    if (region.size() != 2) return 0;
    std::memcpy(out, region.c_str(), 3);
    return 1;
}

extern "C" int pn_regions_for_code(int country_code, char *out) {
    std::list<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetRegionCodesForCountryCallingCode(country_code, &regions);
    regions.remove("001");
    if (regions.size() == 1 && regions.front().size() == 2) std::memcpy(out, regions.front().c_str(), 3);
    return static_cast<int>(regions.size());
}
