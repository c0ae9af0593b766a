package dev.postoffice.auth;

import java.util.List;

/**
 * Secrets written by the real {@code doveadm pw -s SCHEME [-r ROUNDS] -p PASSWORD} of Dovecot 2.3.19.1
 * (Debian 12 package dovecot-core 1:2.3.19.1+dfsg1-2.1+deb12u7), pasted verbatim. Do not regenerate them with
 * this project's own code: they exist to check that we accept exactly what Dovecot writes. Every vector here was
 * also re-checked with {@code doveadm pw -t SECRET -p PASSWORD}, which accepted it and rejected the password with
 * its first character changed.
 */
final class DovecotVectors {
    static final String P1 = "correct horse battery staple";
    /** Two-, three- and four-byte UTF-8 sequences. */
    static final String P2 = "p\u00e4ssw\u00f6rd \u2603 \uD83D\uDD11";
    /** A colon and a space. */
    static final String P3 = "pa:ss wd";
    /** 84 bytes: longer than bcrypt's 72. */
    static final String LONG = "0123456789".repeat(8) + "tail";
    /** SASLprep maps the soft hyphen U+00AD to nothing; Dovecot's SCRAM schemes hash the password unprepared. */
    static final String SOFT_HYPHEN = "I\u00ADX";

    /**
     * One vector.
     *
     * @param label    the doveadm invocation, e.g. {@code SHA512-CRYPT -r 10000}
     * @param password the password given to doveadm
     * @param secret   what doveadm printed
     */
    record Vector(String label, String password, String secret) {
        @Override
        public String toString() {
            return label + " / " + password.length() + " chars";
        }
    }

    private static Vector vector(String label, String password, String secret) {
        return new Vector(label, password, secret);
    }

    static final List<Vector> ALL = List.of(
            vector("ARGON2ID", P1, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$1HbpJeLEPsO2OstfMtLxqA$FNQFwxRuErdseumUKaHvbnDEq+8dtGB/9h50r2Mn/lI"),
            vector("ARGON2ID", P2, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$dTxWb4gMNbwmyM2Fo/SGAQ$ip8w36hxAHyHBM3ACHOvfd99xprxZivhSHGnnQteFLE"),
            vector("ARGON2ID", P3, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$wTcG9IBxZNTzD1rABshQVw$ZJtdwt7HgIUm3HXkRFldaiqYCGVgrja7EwvjcDh6hpg"),
            vector("ARGON2ID", LONG, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$tHLePG+3ipzW+baGlL60xA$aK1UAHTM5UqgW+g2xY2xxQtqeJvhP+M/inQgh+soQX0"),
            vector("ARGON2I", P1, "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$2slCpb9wYfh73uc3u0TBxw$h29oPX2Uvhar9/reWpU6gwZgfXGDss047oGHh1uWsjU"),
            vector("ARGON2I", P2, "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$E0MAM3Q31R7Yf22X1wV8fA$YvoZfnLVSPuBxILAeeaoxtjoj1UXwocAUhngBql4dOk"),
            vector("ARGON2I", P3, "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$0TdZ6tet29/bKQNMRJm+zQ$m71OihKPmGmj6L1lUFC97Jj0hDnfM6bP2e/ayfYXFqU"),
            vector("ARGON2I -r 5", P1, "{ARGON2I}$argon2i$v=19$m=32768,t=5,p=1$dCESjWKS2DAWavh4oYLRnw$25mQ+jH4sMhjE/ppvY0uI6CSrFXE5A3cw1O3aFiOomk"),
            vector("BLF-CRYPT", P1, "{BLF-CRYPT}$2y$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy"),
            vector("BLF-CRYPT", P2, "{BLF-CRYPT}$2y$05$UcAjY57Afkj8jkhYanLxIOfC.EmxpbnuvdSgPP04Y3ZLOppgSOS4O"),
            vector("BLF-CRYPT", P3, "{BLF-CRYPT}$2y$05$LB4602uo2I/X858/HOkZ6.3gtZtogjgdW1qWsg/xQjk39d35/p4Yu"),
            vector("BLF-CRYPT", LONG, "{BLF-CRYPT}$2y$05$hM/f6YtRUAarCy1Brrrg6.1c5gySnYtqxxrGkKZIKiFrsuqc/QJFC"),
            vector("BLF-CRYPT -r 10", P1, "{BLF-CRYPT}$2y$10$em8uGBkWyH3XihKYKKZviOoVoNZldNem3mYPAT2q3muqZ1seAzOca"),
            vector("SHA512-CRYPT", P1, "{SHA512-CRYPT}$6$C2LGKBCQ5pVbyFtF$fATRpwHq8kBCUkGoJHr8/cwrV0ZyhS15piJCJ7Xb04YEE1fMiaLz7BM/nfjCX4JQ4eFQi7eiDdiPZ1w7P6h8C0"),
            vector("SHA512-CRYPT", P2, "{SHA512-CRYPT}$6$fEO/i/j4VYUNBNqO$nG3GwwGt3thXtSryt7ExAnumMgqqFK/ff6ioC0INiiYxjyxr8Tamp.6xaUE0jjaA1p.nYNXvfSk1v3DT3Bfc.0"),
            vector("SHA512-CRYPT", P3, "{SHA512-CRYPT}$6$4JGG38kiWFUfFX7a$zcRxLiDS2zGHyy73TblikH5siVKJWmeWpLx1bhOOzSah.6B0FT5t822wyHsNK9u01B0PZQEbHQ08Io0k6x0mx0"),
            vector("SHA512-CRYPT", LONG, "{SHA512-CRYPT}$6$28KtBaIe6HF2KsFl$DCJje/5IN9wK38qqJlf9eu7JwH93lrUhgaH8A4kEAJ37DmCbbmQnEhyjrogakxz2Pk/wTwJV2.wgHMW53W.uj/"),
            vector("SHA512-CRYPT -r 10000", P1, "{SHA512-CRYPT}$6$rounds=10000$sfbb3WgCWqq88ozq$GWPIDD62zQoTLMnRuxgpBhwHUhWwKAtUGjcHJQI487d7Sfqeq7p.wzp.g5/LuIgV7XZukRYiwKfaX9jcEMDlH1"),
            vector("SHA256-CRYPT", P1, "{SHA256-CRYPT}$5$Ai53irifPZ/L9kGv$Xy9.k.2A7DwQh2ZHDkOlGkCDpLCPusqjRlODdz6Hf77"),
            vector("SHA256-CRYPT", P2, "{SHA256-CRYPT}$5$R5arO3ApdTNGcB3g$ZEeFyrLjxT1ZtOkIG8tHl0NJEdphAU4Y246x2VnBA49"),
            vector("SHA256-CRYPT", P3, "{SHA256-CRYPT}$5$L4ZSIJbKUDJXyjXf$iKv3MdugE0ozF.82Cgwkemf2qhcSB3PDIHkV/PnzT84"),
            vector("SHA256-CRYPT -r 1000", P1, "{SHA256-CRYPT}$5$rounds=1000$4d23.kR1lqooPhHA$gT0WzfkZetXYJucGNHAJs1nZRpKNRyeH4MVgRzaDcE7"),
            vector("MD5-CRYPT", P1, "{MD5-CRYPT}$1$kR8cLm1d$NuFhhrPCE4CXraGF0gyOk1"),
            vector("MD5-CRYPT", P2, "{MD5-CRYPT}$1$CS4FJI7T$wFruUEhrhlwffbsftaqRT0"),
            vector("MD5-CRYPT", P3, "{MD5-CRYPT}$1$TGngO/7S$n2G0qiWex3ObdQDSyod7P1"),
            vector("CRYPT", P1, "{CRYPT}$2y$05$udd7EOlBe1NJ7wng50RVEe85kgqZDLsKEvXIh4VtZa7Uw4sslz846"),
            vector("CRYPT", P2, "{CRYPT}$2y$05$/BDT0AvHRNUTeW9FSy1Ggu8qM1uOqQuuHLQ5j/ZvkNAWi3GFvdZ0u"),
            vector("CRYPT", P3, "{CRYPT}$2y$05$TTvaZoSiq.nbAHsHP7K0uuvubI7c4rkNzYhzUNQVhbjKEPm7hQKcm"),
            vector("DES-CRYPT", P1, "{DES-CRYPT}42NZlBLB7/nKo"),
            vector("DES-CRYPT", P2, "{DES-CRYPT}odNhCQnHwcUMc"),
            vector("DES-CRYPT", P3, "{DES-CRYPT}Ffeo64bRVU6v2"),
            vector("SSHA", P1, "{SSHA}tstYvd5kOWldcqNwsw852OvqmNNzGcpz"),
            vector("SSHA", P2, "{SSHA}zumGbnE52PHJIxXNM3ApIXBlGVKkrJiR"),
            vector("SSHA", P3, "{SSHA}Lm7ZOQTFtQ0XrLMQLA15CexYdwCBMOHp"),
            vector("SSHA256", P1, "{SSHA256}7DKug0E5BxgV/cp5ZQvZTWPOr6oFI+5PYCkJcXN0mBr2avRf"),
            vector("SSHA256", P2, "{SSHA256}pY6jcHjMTHBD95k+3UO/qiPzUdVDD8djGk3q2PfB4BAtih7D"),
            vector("SSHA256", P3, "{SSHA256}+N+5vaoN/6jh9dgETIZ7yhKpKxjN9/rJxr9kqwruno9CSn52"),
            vector("SSHA512", P1, "{SSHA512}7mQntyP5G/lNWzZnNsioDqjeTT54iQ/Cl0vBAPcuJMshMbRpCLez5MgzbmLD7NuQw94bzGkAFWph36VEZXh4aMCtUYA="),
            vector("SSHA512", P2, "{SSHA512}sTlSvmn7h3VRrubrIJBAm7knVlEAQDL2dcRLAw4h830sWWwpG8tNH0rsFvo6ZNv0FbQjaikiR1JDn3YoLeuLRJKSY3I="),
            vector("SSHA512", P3, "{SSHA512}wp3NbtcFmlVTjfdxOfYtsx/tQcvbG8PJ+7co8BX/5loY618RQiEHHv9Ll5FggvJXSUqaFbVqF5vO4qbMk27U2oomwNg="),
            vector("SSHA.HEX", P1, "{SSHA.HEX}384fd6aa811f4200535cad9b05c9a58c0fb93dfcadcbf75d"),
            vector("SSHA.HEX", P2, "{SSHA.HEX}6313c0a205762efccdbab81d1c93153059629caf1b30fda9"),
            vector("SSHA.HEX", P3, "{SSHA.HEX}1043345c3b322d8884869f72d7ec3a1b638f37a71d8b0811"),
            vector("SSHA256.HEX", P1, "{SSHA256.HEX}bb18fa9fc1a6833b3a884f7e15ca877b7f001f9991b6b1a9be57db4293fc6b6d31ba7503"),
            vector("SSHA256.HEX", P2, "{SSHA256.HEX}53d23cc2d17abad0b3ae1ea09e61525c90b1e7d3f7b06442feab9b0fc86825fa1686e352"),
            vector("SSHA256.HEX", P3, "{SSHA256.HEX}4d40a0c0a33d9e9d0766954c2876c2fb30bac407317e304768f19a433e6c247638ae569d"),
            vector("SSHA512.HEX", P1, "{SSHA512.HEX}43c29826c1658cfffd3e9b27fa36b2793e30d1fff8d09e3867f0a370fad9c4a34eb0d5aec8c82f22ad79106947a4eb6eadf3d50b533cdcf3f0fc54e4ff8fa3f02bf3f21a"),
            vector("SSHA512.HEX", P2, "{SSHA512.HEX}8e7271f5de93657854870607a1a3240764af758c9a0bbcbd270ae6cb85eb424508e366799c4e8fe69ddfcf94fde7c4270cf426840f3a69d0353acffc8cff6c11dfef41f8"),
            vector("SSHA512.HEX", P3, "{SSHA512.HEX}ec42b34dd2b651405eed04c5dd4f5417cfdf0b8396901aae8bf189b68ce59ea08e6e35f3ef0a3dec2a4ab47d1b92b403ee0e8146cfddaa768567a9f86420ebf75e0e7231"),
            vector("PLAIN", P1, "{PLAIN}correct horse battery staple"),
            vector("PLAIN", P2, "{PLAIN}p\u00e4ssw\u00f6rd \u2603 \uD83D\uDD11"),
            vector("PLAIN", P3, "{PLAIN}pa:ss wd"),
            vector("CLEAR", P1, "{CLEAR}correct horse battery staple"),
            vector("CLEARTEXT", P1, "{CLEARTEXT}correct horse battery staple"),
            vector("PLAIN.b64", P1, "{PLAIN.B64}Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="),
            vector("PLAIN.b64", P2, "{PLAIN.B64}cMOkc3N3w7ZyZCDimIMg8J+UkQ=="),
            vector("PLAIN.b64", P3, "{PLAIN.B64}cGE6c3Mgd2Q="),
            vector("PLAIN.HEX", P1, "{PLAIN.HEX}636f727265637420686f727365206261747465727920737461706c65"),
            vector("PLAIN.HEX", P2, "{PLAIN.HEX}70c3a4737377c3b6726420e2988320f09f9491"),
            vector("PLAIN.HEX", P3, "{PLAIN.HEX}70613a7373207764"),
            vector("SCRAM-SHA-256", "pencil", "{SCRAM-SHA-256}4096,meN5UjicNyhHRB4DUWY5hw==,4vEj3Exmc8JnB0TgDwDMsxNv7nQ8WrUoEfs8qnLgpUY=,EHMid7Qr2awRH3du1qDiexvOb7qBHeW8nqlOZUGCIuE="),
            vector("SCRAM-SHA-256", P1, "{SCRAM-SHA-256}4096,VISI7eZ3PgqmRSX6riHJvA==,JdWBOp5vLqwtfsgMG/gLhcHrioqc8a1NvNj1xm1lM6c=,b0JShG65hJptAvimWuT1GhoNVi7PPHxSRh/onxlyPzs="),
            vector("SCRAM-SHA-256", P2, "{SCRAM-SHA-256}4096,ebIaxJh0rDfHmt5ng2BHxA==,wHnjFD1AxGhOCL1vmKKvS8xq0GTSZ8u9ceDETm1EkYk=,AbWLWVHOBf2qXnadl/QYInU824q9GoGfjgZ/1RjTaE8="),
            vector("SCRAM-SHA-256", P3, "{SCRAM-SHA-256}4096,evEr2IGxm10QQNR2u+N7Xg==,B+yYU66yV3py7h8Msdon+HDBOkJvK6HLWlwpLl1Daxs=,cxr3B05uKyAMXAbXBgkmqqFeyCC/41zfxn3EAuKTejI="),
            vector("SCRAM-SHA-256", LONG, "{SCRAM-SHA-256}4096,av0lM8gc2VO/CuQlQu98EA==,2wfOl7rB7EC7nnh00ffvRaTMuLWc5ZQARjlydJSglKQ=,1nOPa4GM2XYkYqW/pxxa+PMHh5HP8zMckrWqL1UYpQ4="),
            vector("SCRAM-SHA-256", SOFT_HYPHEN, "{SCRAM-SHA-256}4096,ShJzuoe3qmupKTOq7PIFVA==,/8SXwF5/5xh7uHxEXjKqi7cYWYxQFjeec4hJjYH0By4=,G6sSYoSty40HR/G2+LWR+szmu/+/8kog9wJRBt3YBdA="),
            vector("SCRAM-SHA-1", "pencil", "{SCRAM-SHA-1}4096,c4RkZBSw6XifXum5L2itQg==,xOXoSBqon3ClOstDnR+GHtmqbtk=,EN1x1CavmzJtlsbct297j4sc9gQ="),
            vector("SCRAM-SHA-1", P1, "{SCRAM-SHA-1}4096,p+USUTo9++8XhKARtvec3w==,+ECza1I0g3zAWDMC7GFaWAhMi/I=,Gc91TXmokHmUNK7Y/Y0nqX0gNOQ="),
            vector("SCRAM-SHA-1", P2, "{SCRAM-SHA-1}4096,ramw+ilpr/3TdA8RxFVp+g==,wDYxha2XEjOJBPg/vB164n4c2+s=,Jy6mScV6m0Q3nC7TWMWOiIAZ0X8="),
            vector("SCRAM-SHA-1", P3, "{SCRAM-SHA-1}4096,RxT7Mn3J3eL6ZiHuuCsalw==,M+BlPm81iD7/ayIzGi+/xQId5HE=,IiAU1RtkLljUJt7Q9qnCtLCj6Mo="),
            vector("SCRAM-SHA-1", LONG, "{SCRAM-SHA-1}4096,jKWmsJzwfRAtAGIjC3vC+Q==,KMLR5bzTFD6BeQbJ8Ay2Iz93jxU=,frMHuHC94pigp6w8JWKpTXZR8o0="),
            vector("SCRAM-SHA-1", SOFT_HYPHEN, "{SCRAM-SHA-1}4096,tyxa8ePUZfn3rbZQS229Vw==,ewaawYrnXjowLqJkY71g4HlfYRY=,FzB/F0rR6oeNFtoQyCPbD5VdAUc="));

    /**
     * Variations on the vectors above that {@code doveadm pw -t SECRET -p PASSWORD} (same Dovecot) was checked to
     * accept: bcrypt version letters, scheme names in other cases, another encoding suffix, and crypt-family data
     * under another crypt-family scheme name (Dovecot verifies all of them through crypt(3)).
     */
    static final List<Vector> ACCEPTED_VARIANTS = List.of(
            vector("$2b$", P1, "{BLF-CRYPT}$2b$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy"),
            vector("$2a$", P1, "{BLF-CRYPT}$2a$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy"),
            vector("$2b$ UTF-8", P2, "{BLF-CRYPT}$2b$05$UcAjY57Afkj8jkhYanLxIOfC.EmxpbnuvdSgPP04Y3ZLOppgSOS4O"),
            vector("$2a$ UTF-8", P2, "{BLF-CRYPT}$2a$05$UcAjY57Afkj8jkhYanLxIOfC.EmxpbnuvdSgPP04Y3ZLOppgSOS4O"),
            vector("$2a$ long", LONG, "{BLF-CRYPT}$2a$05$hM/f6YtRUAarCy1Brrrg6.1c5gySnYtqxxrGkKZIKiFrsuqc/QJFC"),
            vector("{Argon2id}", P1, "{Argon2id}$argon2id$v=19$m=65536,t=3,p=1$1HbpJeLEPsO2OstfMtLxqA$FNQFwxRuErdseumUKaHvbnDEq+8dtGB/9h50r2Mn/lI"),
            vector("{ARGON2I} with argon2id data", P1, "{ARGON2I}$argon2id$v=19$m=65536,t=3,p=1$1HbpJeLEPsO2OstfMtLxqA$FNQFwxRuErdseumUKaHvbnDEq+8dtGB/9h50r2Mn/lI"),
            vector("{crypt} MD5", P1, "{crypt}$1$kR8cLm1d$NuFhhrPCE4CXraGF0gyOk1"),
            vector("{CRYPT} MD5", P1, "{CRYPT}$1$kR8cLm1d$NuFhhrPCE4CXraGF0gyOk1"),
            vector("{CRYPT} SHA512", P1, "{CRYPT}$6$C2LGKBCQ5pVbyFtF$fATRpwHq8kBCUkGoJHr8/cwrV0ZyhS15piJCJ7Xb04YEE1fMiaLz7BM/nfjCX4JQ4eFQi7eiDdiPZ1w7P6h8C0"),
            vector("{CRYPT} DES", P1, "{CRYPT}42NZlBLB7/nKo"),
            vector("{SHA512-CRYPT} with $5$", P1, "{SHA512-CRYPT}$5$Ai53irifPZ/L9kGv$Xy9.k.2A7DwQh2ZHDkOlGkCDpLCPusqjRlODdz6Hf77"),
            vector("{SHA256-CRYPT} rounds", P1, "{SHA256-CRYPT}$5$rounds=1000$4d23.kR1lqooPhHA$gT0WzfkZetXYJucGNHAJs1nZRpKNRyeH4MVgRzaDcE7"),
            vector("{ssha512.hex}", P1, "{ssha512.hex}43c29826c1658cfffd3e9b27fa36b2793e30d1fff8d09e3867f0a370fad9c4a34eb0d5aec8c82f22ad79106947a4eb6eadf3d50b533cdcf3f0fc54e4ff8fa3f02bf3f21a"),
            vector("{SSHA.b64}", P1, "{SSHA.b64}tstYvd5kOWldcqNwsw852OvqmNNzGcpz"),
            vector("{PLAIN.BASE64}", P3, "{PLAIN.BASE64}cGE6c3Mgd2Q="),
            vector("{plain.base64}", P1, "{plain.base64}Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="),
            vector("{scram-sha-256}", "pencil", "{scram-sha-256}4096,meN5UjicNyhHRB4DUWY5hw==,4vEj3Exmc8JnB0TgDwDMsxNv7nQ8WrUoEfs8qnLgpUY=,EHMid7Qr2awRH3du1qDiexvOb7qBHeW8nqlOZUGCIuE="),
            vector("SCRAM-SHA-256 with 10000 iterations", "pencil", "{SCRAM-SHA-256}10000,MDEyMzQ1Njc4OWFiY2RlZg==,mofocBAC1vWokUhFTbiikgjtbWT5OBb+pcl/CdQ/OUc=,Yo2GQtQnfSUJqv7PC2p0NqCkWJ9Jng38wiPAa66DUTs="),
            // Truncation that Dovecot shows too: DES uses 8 characters, bcrypt 72 bytes.
            vector("DES uses 8 chars", "correct horse", "{CRYPT}42NZlBLB7/nKo"),
            vector("bcrypt uses 72 bytes", "0123456789".repeat(8) + "DIFFERENT",
                    "{BLF-CRYPT}$2y$05$hM/f6YtRUAarCy1Brrrg6.1c5gySnYtqxxrGkKZIKiFrsuqc/QJFC"));

    private DovecotVectors() {}
}
