import RescindPolicy
import Testing

/// The policy set digest's SHA-256 against the known-answer vectors of FIPS 180-2 /
/// NIST's examples, fed whole and in awkward pieces (block boundaries split).
@Suite struct SHA256Tests {
    static let vectors: [(String, [UInt8], String)] = [
        ("empty", [], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "two blocks", Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        ("a million a", Array(repeating: UInt8(ascii: "a"), count: 1_000_000),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test(arguments: vectors.map { ($0.0, $0.1, $0.2) })
    func knownAnswers(_ name: String, _ message: [UInt8], _ digest: String) {
        var whole = SHA256()
        whole.update(message)
        #expect(whole.finalize() == digest, "\(name)")
        // Pieces of 1, 63, 64 and 65 bytes in turn cross every block boundary case.
        var pieces = SHA256()
        var offset = 0
        let sizes = [1, 63, 64, 65]
        var turn = 0
        while offset < message.count {
            let end = min(offset + sizes[turn % sizes.count], message.count)
            pieces.update(message[offset..<end])
            offset = end
            turn += 1
        }
        #expect(pieces.finalize() == digest, "\(name) in pieces")
    }
}
