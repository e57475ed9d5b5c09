// Composition root for subnetrad; the commands arrive with the protocol-core issue.
return 0;
