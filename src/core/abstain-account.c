/* abstain-account.c: not written yet */
typedef int abstain_account_placeholder;
