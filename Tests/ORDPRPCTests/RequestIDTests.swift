import ORDPRPC
import Testing

@Suite struct RequestIDTests {
  @Test func aSaneIDIsKeptAndAnyOtherReplacedByAFreshOne() {
    #expect(RequestID.sanitized("erp-7.order_12") == "erp-7.order_12")
    for bad in [nil, "", "with space", "ümlaut", String(repeating: "a", count: 65), "a\nb"] {
      let id = RequestID.sanitized(bad)
      #expect(id != bad)
      #expect(id.utf8.count == 16)
      #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    }
  }

  @Test func freshIDsDoNotRepeat() {
    var seen = Set<String>()
    for _ in 0..<100_000 { seen.insert(RequestID.sanitized(nil)) }
    #expect(seen.count == 100_000)
  }
}
