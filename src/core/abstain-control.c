/* abstain-control.c: not written yet */
typedef int abstain_control_placeholder;
