public import NIOCore

/// Reads the start of a TLS connection, before the TLS library sees it, to decide whether to
/// serve it: the bytes must be a TLS handshake record holding a ClientHello, and if the
/// ClientHello offers ALPN, the offer must include `ordp/1` (WIRE.md section 1). I/O-free.
public struct TLSClientHelloInspector: Sendable {
  /// The verdict on the bytes seen so far.
  public enum Verdict: Sendable, Hashable {
    /// Need more bytes.
    case needMoreData
    /// Serve the connection. `offeredALPN` is nil when the client offered no ALPN.
    case accept(offeredALPN: [String]?)
    /// Not TLS at all: close at once.
    case notTLS
    /// ALPN offered without the required protocol: send `no_application_protocol` and close.
    case alpnMismatch(offered: [String])
  }

  /// The ALPN protocol the server requires.
  public let requiredProtocol: String
  /// A ClientHello larger than this is treated as garbage.
  public let maxHelloSize: Int

  public init(requiredProtocol: String = "ordp/1", maxHelloSize: Int = 65_536) {
    self.requiredProtocol = requiredProtocol
    self.maxHelloSize = maxHelloSize
  }

  /// The TLS alert record `fatal no_application_protocol(120)`.
  public static let noApplicationProtocolAlert: [UInt8] = [
    0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x78,
  ]

  /// Inspects all bytes received so far (not consumed).
  public func inspect(_ bytes: ByteBuffer) -> Verdict {
    // Reassemble the handshake layer from consecutive handshake records.
    var records = bytes
    var handshake = ByteBuffer()
    while true {
      guard let header = records.readBytes(length: 5) else { return .needMoreData }
      guard header[0] == 0x16, header[1] == 0x03, header[2] <= 0x04 else { return .notTLS }
      let length = Int(header[3]) << 8 | Int(header[4])
      guard length > 0, length <= 16_384 + 256 else { return .notTLS }
      guard var fragment = records.readSlice(length: length) else { return .needMoreData }
      handshake.writeBuffer(&fragment)
      guard let type = handshake.getInteger(at: 0, as: UInt8.self) else { continue }
      guard type == 0x01 else { return .notTLS }  // client_hello
      guard handshake.readableBytes >= 4 else { continue }
      let bodyLength =
        Int(handshake.getInteger(at: 1, as: UInt8.self)!) << 16
        | Int(handshake.getInteger(at: 2, as: UInt16.self)!)
      guard bodyLength <= maxHelloSize else { return .notTLS }
      if handshake.readableBytes >= 4 + bodyLength {
        guard var body = handshake.getSlice(at: 4, length: bodyLength) else { return .notTLS }
        return verdict(clientHelloBody: &body)
      }
    }
  }

  private func verdict(clientHelloBody b: inout ByteBuffer) -> Verdict {
    // legacy_version(2) random(32) session_id<1> cipher_suites<2> compression<1> extensions<2>
    guard b.readSlice(length: 34) != nil,
      let sidLength = b.readInteger(as: UInt8.self), b.readSlice(length: Int(sidLength)) != nil,
      let csLength = b.readInteger(as: UInt16.self), b.readSlice(length: Int(csLength)) != nil,
      let cmLength = b.readInteger(as: UInt8.self), b.readSlice(length: Int(cmLength)) != nil
    else { return .notTLS }
    guard let extLength = b.readInteger(as: UInt16.self) else { return .accept(offeredALPN: nil) }
    guard var exts = b.readSlice(length: Int(extLength)) else { return .notTLS }
    while exts.readableBytes >= 4 {
      let type = exts.readInteger(as: UInt16.self)!
      let length = exts.readInteger(as: UInt16.self)!
      guard var ext = exts.readSlice(length: Int(length)) else { return .notTLS }
      guard type == 16 else { continue }  // application_layer_protocol_negotiation
      guard let listLength = ext.readInteger(as: UInt16.self),
        var list = ext.readSlice(length: Int(listLength))
      else { return .notTLS }
      var offered: [String] = []
      while let n = list.readInteger(as: UInt8.self) {
        guard let name = list.readString(length: Int(n)) else { return .notTLS }
        offered.append(name)
      }
      return offered.contains(requiredProtocol)
        ? .accept(offeredALPN: offered) : .alpnMismatch(offered: offered)
    }
    return .accept(offeredALPN: nil)
  }
}
