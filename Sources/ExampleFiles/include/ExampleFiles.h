#ifndef CAMPAIGN_EXAMPLE_FILES_H
#define CAMPAIGN_EXAMPLE_FILES_H

/// examples/dinner/contacts.csv, NUL-terminated, embedded when the binary is built.
const char *campaign_demo_contacts_csv(void);

/// examples/dinner/prompt.txt, NUL-terminated, embedded when the binary is built.
const char *campaign_demo_prompt_txt(void);

#endif
