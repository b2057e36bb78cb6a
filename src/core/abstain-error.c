/* abstain-error.c: not written yet */
typedef int abstain_error_placeholder;
