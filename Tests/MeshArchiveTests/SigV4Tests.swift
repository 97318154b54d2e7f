import Testing

@testable import MeshArchive

/// Byte-exact vectors from AWS's "Signature Version 4 test suite" (credentials AKIDEXAMPLE, region us-east-1,
/// service "service", 2015-08-30T12:36:00Z) and the S3 API reference's "GET Object" header-signing example.
@Suite struct SigV4Tests {
    private let suite = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service"
    )
    private let date = "20150830T123600Z"
    private let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private func check(
        _ request: SigV4Signer.Request, canonical: String, stringToSignHash: String, signature: String,
        signedHeaders: String = "host;x-amz-date"
    ) {
        let creq = SigV4Signer.canonicalRequest(request)
        #expect(creq == canonical)
        let sts = suite.stringToSign(canonicalRequest: creq, amzDate: date)
        #expect(sts == "AWS4-HMAC-SHA256\n\(date)\n20150830/us-east-1/service/aws4_request\n\(stringToSignHash)")
        #expect(
            suite.authorization(request, amzDate: date)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        )
    }

    private var vanillaHeaders: [(name: String, value: String)] {
        [("Host", "example.amazonaws.com"), ("X-Amz-Date", date)]
    }

    @Test func getVanilla() {
        check(
            .init(method: "GET", path: "/", headers: vanillaHeaders, payloadHash: emptyHash),
            canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    }

    @Test func postVanilla() {
        check(
            .init(method: "POST", path: "/", headers: vanillaHeaders, payloadHash: emptyHash),
            canonical: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSignHash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        )
    }

    @Test func getVanillaQueryOrderKey() {
        check(
            .init(
                method: "GET", path: "/", query: [("Param1", "value2"), ("Param1", "Value1")], headers: vanillaHeaders,
                payloadHash: emptyHash
            ),
            canonical:
                "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\n\(emptyHash)",
            stringToSignHash: "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"
        )
    }

    @Test func getVanillaQueryOrderKeyCase() {
        check(
            .init(
                method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")], headers: vanillaHeaders,
                payloadHash: emptyHash
            ),
            canonical:
                "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\n\(emptyHash)",
            stringToSignHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    }

    @Test func getHeaderValueOrder() {
        let headers: [(name: String, value: String)] = [
            ("Host", "example.amazonaws.com"), ("My-Header1", "value4"), ("My-Header1", "value1"),
            ("My-Header1", "value3"), ("My-Header1", "value2"), ("X-Amz-Date", date),
        ]
        check(
            .init(method: "GET", path: "/", headers: headers, payloadHash: emptyHash),
            canonical:
                "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
                + "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\(emptyHash)",
            stringToSignHash: "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
            signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
            signedHeaders: "host;my-header1;x-amz-date"
        )
    }

    /// S3 API reference, "Example: GET Object" (examplebucket, bytes 0-9 of test.txt, 2013-05-24).
    @Test func s3GetObjectExample() {
        let signer = SigV4Signer(
            credentials: S3Credentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ),
            region: "us-east-1"
        )
        let request = SigV4Signer.Request(
            method: "GET", path: "/test.txt",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", emptyHash), ("x-amz-date", "20130524T000000Z"),
            ],
            payloadHash: emptyHash
        )
        let creq = SigV4Signer.canonicalRequest(request)
        let sts = signer.stringToSign(canonicalRequest: creq, amzDate: "20130524T000000Z")
        #expect(sts.hasSuffix("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
        #expect(
            signer.authorization(request, amzDate: "20130524T000000Z")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func amzDateIsUTC() {
        #expect(SigV4Signer.amzDate(unixNanoseconds: 1_440_938_160 * 1_000_000_000) == "20150830T123600Z")
        #expect(SigV4Signer.amzDate(unixNanoseconds: 951_782_400 * 1_000_000_000) == "20000229T000000Z")
        #expect(SigV4Signer.amzDate(unixNanoseconds: 0) == "19700101T000000Z")
    }

    @Test func keysAreEncodedSegmentBySegment() {
        #expect(SigV4Signer.canonicalURI("/bucket/a b/c+d/00000000000000000001.seg") == "/bucket/a%20b/c%2Bd/00000000000000000001.seg")
        #expect(SigV4Signer.canonicalQuery([("uploads", "")]) == "uploads=")
        #expect(Base64.encode([0xde, 0xad, 0xbe, 0xef]) == "3q2+7w==")
        #expect(S3Credentials(accessKeyID: "A", secretAccessKey: "topsecret").description.contains("topsecret") == false)
    }
}
