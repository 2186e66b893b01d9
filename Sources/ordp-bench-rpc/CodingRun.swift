import Foundation
import NIOCore
import ORDPEcho
import ORDPWire
import SwiftProtobuf

/// How long swift-protobuf takes to encode and decode the benchmark's echo messages, warm, in
/// a tight loop: the part of a call's cost that is message coding rather than the runtime.
enum CodingRun {
  static func run(iterations: Int) throws {
    var request = Ordp_Echo_V1_EchoRequest()
    request.text = "0123456789abcdef"
    var response = Ordp_Echo_V1_EchoResponse()
    response.text = request.text
    let requestBytes: [UInt8] = try request.serializedBytes()
    let responseBuffer = ByteBuffer(bytes: try response.serializedBytes() as [UInt8])
    var sink = 0
    let clock = ContinuousClock()
    func nanos(_ body: () throws -> Void) rethrows -> Double {
      let start = clock.now
      for _ in 0..<iterations { try body() }
      let d = clock.now - start
      return (Double(d.components.seconds) * 1e18 + Double(d.components.attoseconds)) / 1e9
        / Double(iterations)
    }
    let encodeRequest = try nanos { sink &+= (try request.serializedBytes() as [UInt8]).count }
    let decodeRequest = try nanos {
      sink &+= try Ordp_Echo_V1_EchoRequest(serializedBytes: requestBytes).text.utf8.count
    }
    let encodeResponse = try nanos { sink &+= (try response.serializedBytes() as [UInt8]).count }
    let decodeResponse = try nanos {
      sink &+= try Ordp_Echo_V1_EchoResponse(buffer: responseBuffer).text.utf8.count
    }
    print(
      String(
        format:
          "protobuf coding, warm, ns per message: encode request %.0f, decode request %.0f, encode response %.0f, decode response %.0f (check %d)",
        encodeRequest, decodeRequest, encodeResponse, decodeResponse, sink % 10))
  }
}
