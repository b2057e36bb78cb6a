/* abstain-keyring.c: not written yet */
typedef int abstain_keyring_placeholder;
