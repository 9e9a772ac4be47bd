// Test helper: the tiny DNS server `authstudio test` uses for declared DNS answers (engine/testing/dns-answers.ts).
export * from '../../engine/testing/dns-answers';
