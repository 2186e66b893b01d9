import NIOCore
import ORDPWire

/// Feeds arbitrary bytes through the frame decoder into both connection state machines and
/// checks invariants; a violated invariant crashes (which the fuzzer reports).
func fuzzOneInput(_ bytes: UnsafeRawBufferPointer) {
  var buffer = ByteBuffer(bytes: bytes)
  let limit: UInt32 = 65_536
  let decoder = FrameDecoder(maxFrameSize: limit)
  var server = ServerConnectionStateMachine()
  var client = ClientConnectionStateMachine()
  var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
  var consumed = 0
  while true {
    let before = buffer.readableBytes
    let frame: Frame?
    do {
      frame = try decoder.nextFrame(from: &buffer)
    } catch {
      precondition(buffer.readableBytes == before, "a rejected frame consumed bytes")
      return
    }
    guard let frame else {
      precondition(buffer.readableBytes == before, "an incomplete frame consumed bytes")
      return
    }
    precondition(frame.payload.readableBytes <= Int(limit), "frame above the limit decoded")
    consumed += Frame.headerSize + frame.payload.readableBytes
    precondition(consumed == bytes.count - buffer.readableBytes, "byte accounting broken")
    now = now + .milliseconds(Int64(frame.flags.rawValue))

    switch server.receive(frame, now: now) {
    case .openCall(let id, _, _):
      _ = server.sendMessage(streamID: id, bytes: frame.payload.readableBytes)
      if frame.flags.rawValue & 0x80 != 0 { _ = server.callEnded(streamID: id) }
    case .requestMessage(let id, let payload, _):
      _ = server.consumed(streamID: id, bytes: payload.readableBytes)
    case .connectionError:
      precondition(server.isClosed, "connection error left the connection open")
    default:
      break
    }
    if frame.flags.rawValue & 0x40 != 0 { _ = server.beginDrain() }
    if frame.flags.rawValue & 0x20 != 0 { _ = client.openStream() }
    _ = client.receive(frame)
    precondition(server.openStreamCount <= Int(server.configuration.settings.maxConcurrentStreams))
  }
}
