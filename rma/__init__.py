"""RMA and refund sync: Miinto returns accepted or declined, refunds pushed to the store, store refunds turned into RMA requests."""
