/* abstain-store.c: not written yet */
typedef int abstain_store_placeholder;
