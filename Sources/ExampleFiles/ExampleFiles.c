#include "ExampleFiles.h"

// The demo campaign (examples/dinner), carried in the binary so `campaign demo` works from an
// installed binary without the source tree. A test checks these bytes equal the files.
static const char contacts[] = {
#embed "../../examples/dinner/contacts.csv"
    , 0
};

static const char prompt[] = {
#embed "../../examples/dinner/prompt.txt"
    , 0
};

const char *campaign_demo_contacts_csv(void) { return contacts; }
const char *campaign_demo_prompt_txt(void) { return prompt; }
