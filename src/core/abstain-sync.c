/* abstain-sync.c: not written yet */
typedef int abstain_sync_placeholder;
