/* abstain-history.c: not written yet */
typedef int abstain_history_placeholder;
