/// The settings one side announces in its HELLO, with WIRE.md's defaults applied.
public struct ConnectionSettings: Sendable, Hashable {
  /// Protocol version; only 1 exists.
  public static let protocolVersion: UInt32 = 1
  /// The largest `max_frame_size` a peer may announce.
  public static let maxFrameSizeLimit: UInt32 = 16_777_216

  public var maxFrameSize: UInt32 = 4_194_304
  public var maxConcurrentStreams: UInt32 = 100
  public var initialWindowSize: UInt32 = 1_048_576
  public var agent: String = ""

  /// WIRE.md's defaults.
  public static var defaults: ConnectionSettings { ConnectionSettings() }

  public init() {}

  /// Reads a peer's HELLO; zero fields take the defaults, an oversized frame size is capped.
  public init(hello: Ordp_Rpc_V1_Hello) {
    let d = ConnectionSettings.defaults
    self.maxFrameSize =
      hello.maxFrameSize == 0 ? d.maxFrameSize : min(hello.maxFrameSize, Self.maxFrameSizeLimit)
    self.maxConcurrentStreams =
      hello.maxConcurrentStreams == 0 ? d.maxConcurrentStreams : hello.maxConcurrentStreams
    self.initialWindowSize =
      hello.initialWindowSize == 0 ? d.initialWindowSize : hello.initialWindowSize
    self.agent = hello.agent
  }

  /// The HELLO announcing these settings.
  public var hello: Ordp_Rpc_V1_Hello {
    var h = Ordp_Rpc_V1_Hello()
    h.version = Self.protocolVersion
    h.maxFrameSize = maxFrameSize
    h.maxConcurrentStreams = maxConcurrentStreams
    h.initialWindowSize = initialWindowSize
    h.agent = agent
    return h
  }
}
