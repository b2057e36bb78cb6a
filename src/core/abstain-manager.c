/* abstain-manager.c: not written yet */
typedef int abstain_manager_placeholder;
