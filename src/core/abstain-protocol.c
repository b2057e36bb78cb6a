/* abstain-protocol.c: not written yet */
typedef int abstain_protocol_placeholder;
