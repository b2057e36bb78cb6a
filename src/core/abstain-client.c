/* abstain-client.c: not written yet */
typedef int abstain_client_placeholder;
