// Composition root for subnetra; the commands arrive with the protocol-core issue.
return 0;
