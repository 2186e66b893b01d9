import ORDPWire
import Testing

@testable import ORDPRPC

@Suite struct ResponseMetadataTests {
  @Test func emptyUntilSomethingIsAdded() {
    let m = ResponseMetadata()
    #expect(m.headers.isEmpty)
    #expect(m.trailers.isEmpty)
    m.addTrailer("x-t", "1")
    #expect(m.headers.isEmpty)
    #expect(m.trailers["x-t"] == "1")
    m.addHeader("x-h", "2")
    #expect(m.headers["x-h"] == "2")
    #expect(m.trailers.count == 1)
  }

  @Test func concurrentAddsAreAllKept() async {
    let m = ResponseMetadata()
    await withTaskGroup(of: Void.self) { group in
      for i in 0..<16 {
        group.addTask {
          m.addHeader("x-h\(i)", "\(i)")
          m.addTrailer("x-t\(i)", "\(i)")
        }
      }
    }
    #expect(m.headers.count == 16)
    #expect(m.trailers.count == 16)
    #expect(m.headers["x-h7"] == "7")
  }
}
