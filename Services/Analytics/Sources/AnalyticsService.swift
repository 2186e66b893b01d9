public import Foundation
public import Logging
public import ORDPAnalyticsAPI
import ORDPAuth
public import ORDPRPC

/// `ordp.analytics.v1.Analytics`: datastreams, ingest, aggregates, latest values, raw reads.
public final class AnalyticsService: Ordp_Analytics_V1_Analytics_ServiceProtocol {
  let store: any AnalyticsStore
  let logger: Logger
  let directory = StreamDirectory()
  /// Group commit of ingest batches.
  let writer: WriteCoalescer
  let validator: IngestValidator
  let clock: @Sendable () -> Int64
  /// How many aggregates and raw reads run at once (in all, per caller, without a token).
  public struct Admission: Sendable {
    public var aggregates = AdmissionControl.Limits(total: 8, perCaller: 4, anonymous: 1)
    public var rawReads = AdmissionControl.Limits(total: 8, perCaller: 2, anonymous: 2)
    public init() {}
    public static var defaults: Admission { Admission() }
  }

  let aggregates: AdmissionControl
  let rawReads: AdmissionControl

  public init(
    store: any AnalyticsStore, logger: Logger, validator: IngestValidator = IngestValidator(),
    admission: Admission = .defaults,
    clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
  ) {
    aggregates = AdmissionControl(limits: admission.aggregates)
    rawReads = AdmissionControl(limits: admission.rawReads)
    self.store = store
    self.writer = WriteCoalescer(store: store)
    self.logger = logger
    self.validator = validator
    self.clock = clock
  }

  /// Loads the datastreams and town retentions; call before serving.
  public func start() async throws {
    directory.load(try await store.datastreams(), retentions: try await store.townRetentions())
  }

  /// Where its handlers run: off the event loops, because checking a batch of 10,000
  /// observations or building a year of hourly rows takes milliseconds of CPU that must not
  /// stall the other connections sharing a loop.
  public static let handlerExecution = ServerConfiguration.HandlerExecution.globalExecutor

  /// A selector names at most 10,000 streams (well under 1 MiB); datastreams and retentions
  /// are small. Larger requests are refused before they are decoded; ingest batches may fill
  /// a frame.
  public static let requestLimits: [String: Int] = {
    typealias Method = Ordp_Analytics_V1_Analytics.Method
    var limits = Dictionary(
      uniqueKeysWithValues: [
        Method.aggregate, Method.latest, Method.readObservations, Method.listDatastreams,
      ].map { ($0.path, 1 << 20) })
    for method in [
      Method.createDatastream, Method.updateDatastream, Method.getDatastream,
      Method.setTownRetention,
    ] {
      limits[method.path] = 64 << 10
    }
    return limits
  }()

  public var maximumRequestBytes: [String: Int] { Self.requestLimits }

  /// Methods callable without a token (they show public datastreams only then).
  public static let anonymousMethods: Set<String> = Set(
    [
      Ordp_Analytics_V1_Analytics.Method.getDatastream,
      Ordp_Analytics_V1_Analytics.Method.listDatastreams,
      Ordp_Analytics_V1_Analytics.Method.aggregate, Ordp_Analytics_V1_Analytics.Method.latest,
      Ordp_Analytics_V1_Analytics.Method.readObservations,
    ].map(\.path))

  /// A datastream the caller may see, or NOT_FOUND (also when hidden). For a write, a stream
  /// the caller may write counts as seen (a key for ingest only, without `analytics:query`).
  func visibleStream(
    _ id: String, _ principal: Principal?, forWriting: Bool = false
  ) throws(RPCError) -> StreamRecord {
    if id.isEmpty { throw RPCError(.invalidArgument, "id: is required") }
    guard let record = directory.record(id),
      AnalyticsAccess.canRead(record.datastream, principal)
        || (forWriting
          && principal.map { AnalyticsAccess.canWrite(record.datastream.owner, $0) }
            ?? false)
    else { throw RPCError(.notFound, "datastream \(id) not found") }
    return record
  }

  public func createDatastream(
    request: Ordp_Analytics_V1_CreateDatastreamRequest, context: ServerContext
  ) async throws -> Ordp_Analytics_V1_Datastream {
    _ = try AnalyticsAccess.requireWrite(
      request.datastream.owner, context.principal, method: "CreateDatastream")
    var stream = try DatastreamValidator.validate(request.datastream)
    stream.id = UUID().uuidString.lowercased()
    stream.createdMicros = clock()
    let record = try await store.insertDatastream(stream)
    directory.put(record)
    return record.datastream
  }

  public func updateDatastream(
    request: Ordp_Analytics_V1_UpdateDatastreamRequest, context: ServerContext
  ) async throws -> Ordp_Analytics_V1_Datastream {
    let current = try visibleStream(
      request.datastream.id, context.principal, forWriting: true)
    _ = try AnalyticsAccess.requireWrite(
      current.datastream.owner, context.principal, method: "UpdateDatastream")
    var stream = try DatastreamValidator.validate(request.datastream)
    for (field, old, new) in [
      ("owner", current.datastream.owner, stream.owner),
      ("observed_property", current.datastream.observedProperty, stream.observedProperty),
      ("unit", current.datastream.unit, stream.unit),
    ] where old != new {
      throw RPCError(
        .invalidArgument,
        "\(field): cannot change (\"\(old)\"); observations already mean it — create a new datastream"
      )
    }
    stream.createdMicros = current.datastream.createdMicros
    try await store.updateDatastream(stream)
    directory.put(StreamRecord(key: current.key, datastream: stream))
    return stream
  }

  public func getDatastream(
    request: Ordp_Analytics_V1_GetDatastreamRequest, context: ServerContext
  ) async throws -> Ordp_Analytics_V1_Datastream {
    try visibleStream(request.id, context.principal).datastream
  }

  public func listDatastreams(
    request: Ordp_Analytics_V1_ListDatastreamsRequest, context: ServerContext
  ) async throws -> Ordp_Analytics_V1_ListDatastreamsResponse {
    let size = request.pageSize == 0 ? 100 : Int(request.pageSize)
    guard size <= 1000 else {
      throw RPCError(.invalidArgument, "page_size: at most 1000")
    }
    guard request.pageToken.utf8.count <= 200 else {
      throw RPCError(.invalidArgument, "page_token: not a page token of this call")
    }
    let selected = try StreamSelection.resolve(
      request.streams, directory: directory, principal: context.principal)
    let after = request.pageToken
    var response = Ordp_Analytics_V1_ListDatastreamsResponse()
    let page = selected.filter { $0.datastream.id > after }.prefix(size + 1)
    response.datastreams = page.prefix(size).map(\.datastream)
    if page.count > size, let last = response.datastreams.last { response.nextPageToken = last.id }
    return response
  }

  public func setTownRetention(
    request: Ordp_Analytics_V1_SetTownRetentionRequest, context: ServerContext
  ) async throws -> Ordp_Analytics_V1_SetTownRetentionResponse {
    if let problem = OrganisationID.problem(request.owner) {
      throw RPCError(.invalidArgument, "owner: \(problem)")
    }
    guard let principal = context.principal else {
      throw RPCError(.unauthenticated, "SetTownRetention needs an access token")
    }
    guard principal.isAdmin(of: request.owner) else {
      throw RPCError(
        .permissionDenied, "SetTownRetention needs an admin of \(request.owner)")
    }
    try DatastreamValidator.retention(request.retention, field: "retention")
    try await store.setTownRetention(owner: request.owner, request.retention)
    directory.setTownRetention(request.owner, request.retention)
    return Ordp_Analytics_V1_SetTownRetentionResponse()
  }
}

extension AnalyticsStoreError: RPCErrorConvertible {
  public var rpcError: RPCError {
    switch self {
    case .notFound(let what): RPCError(.notFound, "\(what) not found")
    case .corrupt(let what): RPCError(.dataLoss, "stored data is corrupt: \(what)")
    }
  }
}
