public import Foundation
import NIOCore
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
public import ORDPPlatformAPI
public import ORDPRPC
import SwiftProtobuf

/// `ordp.platform.v1.Platform`: composite calls the gateway answers itself, asking the
/// catalogue, analytics and identity at once with the caller's metadata (each service decides
/// what the caller may see) — each part with its status, a failed part leaving the others.
public final class PlatformService: Ordp_Platform_V1_Platform_ServiceProtocol {
  typealias C = Ordp_Catalogue_V1_Catalogue.Method
  typealias A = Ordp_Analytics_V1_Analytics.Method
  typealias I = Ordp_Identity_V1_Identity.Method

  let pools: [Backend: BackendPool]
  let partitionTimeout: Duration
  let now: @Sendable () -> Date
  let townCache = TownCache()

  public init(
    pools: [Backend: BackendPool], partitionTimeout: Duration,
    now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.pools = pools
    self.partitionTimeout = partitionTimeout
    self.now = now
  }

  /// A request names a dataset or nothing: a kilobyte is plenty.
  public var maximumRequestBytes: [String: Int] {
    Dictionary(uniqueKeysWithValues: Ordp_Platform_V1_Platform.Method.all.map { ($0.path, 1024) })
  }

  /// The one response of `method` (or every page, for a streaming one) on `backend`.
  func call<Response: SwiftProtobuf.Message>(
    _ backend: Backend, _ method: MethodDescriptor, _ request: some SwiftProtobuf.Message,
    _ options: CallOptions, as type: Response.Type
  ) async throws -> [Response] {
    guard let pool = pools[backend] else { throw RPCError(.unavailable, "no \(backend.rawValue)") }
    // Each part within the partition timeout: a part that is late is reported, not waited for.
    var options = options
    options.timeout = min(options.timeout ?? partitionTimeout, partitionTimeout)
    let bytes = ByteBuffer(bytes: try request.serializedBytes() as [UInt8])
    let responses = try await BackendCalls.collect(
      method, request: bytes, pool: pool, options: options, partitionTimeout: partitionTimeout)
    return try responses.map { buffer in
      do { return try Response(serializedBytes: Array(buffer.readableBytesView)) } catch {
        throw RPCError(
          .internal, "\(backend.rawValue) answered what is not a \(Response.protoMessageName)")
      }
    }
  }

  /// The region's towns (`TownCache`: identity is asked at most every 10 seconds).
  func towns(_ options: CallOptions) async throws -> [Ordp_Identity_V1_Organisation] {
    try await townCache.towns {
      try await self.call(
        .identity, I.listOrganisations, Ordp_Identity_V1_ListOrganisationsRequest(), options,
        as: Ordp_Identity_V1_ListOrganisationsResponse.self)[0].organisations
    }
  }

  static func status(_ error: any Error) -> Ordp_Platform_V1_PartStatus {
    var status = Ordp_Platform_V1_PartStatus()
    let rpc = (error as? RPCError) ?? RPCError(.internal, "internal error")
    status.code = UInt32(rpc.code.rawValue)
    status.message = rpc.message
    return status
  }

  static func options(_ context: ServerContext) -> CallOptions {
    CallOptions(metadata: context.requestMetadata, maxTransparentRetries: 1)
  }

  // MARK: - GetDatasetOverview

  public func getDatasetOverview(
    request: Ordp_Platform_V1_GetDatasetOverviewRequest, context: ServerContext
  ) async throws -> Ordp_Platform_V1_DatasetOverview {
    let id = request.datasetID
    guard !id.isEmpty, id.utf8.count <= 300 else {
      throw RPCError(.invalidArgument, "dataset_id: 1 to 300 bytes")
    }
    let options = Self.options(context)
    // "<town>/<slug>" names the town: fetched beside the dataset. A bare id: the dataset's
    // streams are asked for at once (they name the dataset by id), and the towns are listed
    // at once (the dataset then names its publisher among them; a town not listed — one that
    // left — is fetched after).
    let town = id.firstIndex(of: "/").map { String(id[..<$0]) }
    async let datasetPart = Self.outcome { try await self.dataset(id, options) }
    async let earlyTown = Self.outcome(if: town) { try await self.organisation($0, options) }
    async let allTowns = Self.outcome(if: town == nil ? "" : nil) { _ in
      try await self.towns(options)
    }
    async let earlyStreams = Self.outcome(if: town == nil ? id : nil) {
      try await self.streams($0, options)
    }
    var overview = Ordp_Platform_V1_DatasetOverview()
    let found = await datasetPart
    switch found {
    case .success(let d): overview.dataset = d
    case .failure(let e): overview.datasetStatus = Self.status(e)
    }
    let dataset = try? found.get()
    let listed = (try? await allTowns?.get())?.first { $0.id == dataset?.publisher }
    async let lateTown = Self.outcome(if: town == nil && listed == nil ? dataset?.publisher : nil) {
      try await self.organisation($0, options)
    }
    async let lateStreams = Self.outcome(if: town != nil ? dataset?.id : nil) {
      try await self.streams($0, options)
    }
    let (town1, town2) = await (earlyTown, lateTown)
    let fromList: Result<Ordp_Identity_V1_Organisation, any Error>? = listed.map(Result.success)
    switch town1 ?? fromList ?? town2 {
    case .success(let o): overview.publisher = o
    case .failure(let e): overview.publisherStatus = Self.status(e)
    case nil:
      overview.publisherStatus = Self.status(RPCError(.notFound, "the dataset was not found"))
    }
    let (streams1, streams2) = await (earlyStreams, lateStreams)
    switch streams1 ?? streams2 {
    case .success(let s): overview.datastreams = s
    case .failure(let e): overview.datastreamsStatus = Self.status(e)
    case nil:
      overview.datastreamsStatus = Self.status(RPCError(.notFound, "the dataset was not found"))
    }
    return overview
  }

  /// What `body` gave or threw.
  static func outcome<T: Sendable>(
    _ body: @Sendable () async throws -> T
  ) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
  }

  /// What `body` gave or threw for `value`; nil without one.
  static func outcome<T: Sendable>(
    if value: String?, _ body: @Sendable (String) async throws -> T
  ) async -> Result<T, any Error>? {
    guard let value else { return nil }
    return await outcome { try await body(value) }
  }

  func dataset(_ id: String, _ options: CallOptions) async throws -> Ordp_Catalogue_V1_Dataset {
    var get = Ordp_Catalogue_V1_GetDatasetRequest()
    get.id = id
    return try await call(
      .catalogue, C.getDataset, get, options, as: Ordp_Catalogue_V1_Dataset.self)[0]
  }

  func organisation(
    _ id: String, _ options: CallOptions
  ) async throws -> Ordp_Identity_V1_Organisation {
    var get = Ordp_Identity_V1_GetOrganisationRequest()
    get.id = id
    return try await call(
      .identity, I.getOrganisation, get, options, as: Ordp_Identity_V1_Organisation.self)[0]
  }

  /// The dataset's streams with their latest values and last 24 hours: three analytics calls
  /// at once.
  func streams(
    _ datasetID: String, _ options: CallOptions
  ) async throws -> [Ordp_Platform_V1_DatastreamSummary] {
    var selector = Ordp_Analytics_V1_StreamSelector()
    selector.datasetIds = [datasetID]
    var list = Ordp_Analytics_V1_ListDatastreamsRequest()
    list.streams = selector
    list.pageSize = 1000
    var latest = Ordp_Analytics_V1_LatestRequest()
    latest.streams = selector
    var aggregate = Ordp_Analytics_V1_AggregateRequest()
    aggregate.streams = selector
    let end = Int64(now().timeIntervalSince1970 * 1_000_000)
    aggregate.fromMicros = end - 86_400_000_000
    aggregate.toMicros = end
    aggregate.groupBy = .stream
    aggregate.functions = [.count, .min, .avg, .max]
    async let streams = call(
      .analytics, A.listDatastreams, list, options,
      as: Ordp_Analytics_V1_ListDatastreamsResponse.self)
    async let values = call(
      .analytics, A.latest, latest, options, as: Ordp_Analytics_V1_LatestResponse.self)
    async let rows = call(
      .analytics, A.aggregate, aggregate, options, as: Ordp_Analytics_V1_AggregateResponse.self)
    let latestByID = Dictionary(
      try await values.flatMap(\.values).map { ($0.datastreamID, $0) },
      uniquingKeysWith: { a, _ in a })
    let dayByID = Dictionary(
      try await rows.flatMap(\.rows).map { ($0.group, $0.values) }, uniquingKeysWith: { a, _ in a })
    return try await streams.flatMap(\.datastreams).map { stream in
      var summary = Ordp_Platform_V1_DatastreamSummary()
      summary.datastream = stream
      if let value = latestByID[stream.id] { summary.latest = value }
      let day = dayByID[stream.id] ?? []
      summary.count24H = day.count == 4 ? UInt64(day[0]) : 0
      summary.min24H = day.count == 4 ? day[1] : .nan
      summary.avg24H = day.count == 4 ? day[2] : .nan
      summary.max24H = day.count == 4 ? day[3] : .nan
      return summary
    }
  }

  // MARK: - GetRegionSummary

  public func getRegionSummary(
    request: Ordp_Platform_V1_GetRegionSummaryRequest, context: ServerContext
  ) async throws -> Ordp_Platform_V1_RegionSummary {
    let options = Self.options(context)
    async let towns = Self.outcome { try await self.towns(options) }
    async let datasets = Self.outcome { try await self.datasetsPerTown(options) }
    async let streams = Self.outcome { try await self.streamsPerTown(options) }
    async let observations = Self.outcome { try await self.observationsPerTown(options) }
    var summary = Ordp_Platform_V1_RegionSummary()
    let (t, d, s, o) = await (towns, datasets, streams, observations)
    if case .failure(let e) = t { summary.townsStatus = Self.status(e) }
    if case .failure(let e) = d { summary.datasetsStatus = Self.status(e) }
    if case .failure(let e) = s { summary.datastreamsStatus = Self.status(e) }
    if case .failure(let e) = o { summary.observationsStatus = Self.status(e) }
    let (dc, sc, oc) = ((try? d.get()) ?? [:], (try? s.get()) ?? [:], (try? o.get()) ?? [:])
    var names = Dictionary(
      ((try? t.get()) ?? []).map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
    for id in Set(dc.keys).union(sc.keys).union(oc.keys) where names[id] == nil { names[id] = "" }
    summary.towns = names.keys.sorted().map { id in
      var town = Ordp_Platform_V1_TownSummary()
      town.town = id
      town.name = names[id] ?? ""
      town.datasets = dc[id] ?? 0
      town.datastreams = sc[id] ?? 0
      town.observations24H = oc[id] ?? 0
      return town
    }
    return summary
  }

  /// Datasets per town: the publisher facet of a search for everything.
  func datasetsPerTown(_ options: CallOptions) async throws -> [String: UInt64] {
    var search = Ordp_Catalogue_V1_SearchRequest()
    search.pageSize = 1
    search.facets = true
    search.facetLimit = 1000
    let response = try await call(
      .catalogue, C.search, search, options, as: Ordp_Catalogue_V1_SearchResponse.self)[0]
    try Self.complete(response.partitions.map { ($0.code, $0.partition) })
    let facet = response.facets.first { $0.field == "publisher" }
    return Dictionary((facet?.values ?? []).map { ($0.value, $0.count) }, uniquingKeysWith: +)
  }

  /// Streams per town: every page of the listing (at most 100 pages of 1000).
  func streamsPerTown(_ options: CallOptions) async throws -> [String: UInt64] {
    var list = Ordp_Analytics_V1_ListDatastreamsRequest()
    list.pageSize = 1000
    var counts: [String: UInt64] = [:]
    for _ in 0..<100 {
      let page = try await call(
        .analytics, A.listDatastreams, list, options,
        as: Ordp_Analytics_V1_ListDatastreamsResponse.self)[0]
      try Self.complete(page.partitions.map { ($0.code, $0.partition) })
      for stream in page.datastreams { counts[stream.owner, default: 0] += 1 }
      if page.nextPageToken.isEmpty { return counts }
      list.pageToken = page.nextPageToken
    }
    throw RPCError(.resourceExhausted, "more than 100,000 datastreams: not counted")
  }

  /// Observations per town in the last 24 hours: one aggregate grouped by town.
  func observationsPerTown(_ options: CallOptions) async throws -> [String: UInt64] {
    var aggregate = Ordp_Analytics_V1_AggregateRequest()
    let end = Int64(now().timeIntervalSince1970 * 1_000_000)
    aggregate.fromMicros = end - 86_400_000_000
    aggregate.toMicros = end
    aggregate.groupBy = .town
    aggregate.functions = [.count]
    let pages = try await call(
      .analytics, A.aggregate, aggregate, options, as: Ordp_Analytics_V1_AggregateResponse.self)
    if let first = pages.first {
      try Self.complete(first.partitions.map { ($0.code, $0.partition) })
    }
    return Dictionary(
      pages.flatMap(\.rows).map { ($0.group, UInt64($0.values.first ?? 0)) }, uniquingKeysWith: +)
  }

  /// A part built from partitions of which some did not answer fails, naming them: a count
  /// without them would be silently wrong.
  static func complete(_ statuses: [(code: UInt32, partition: String)]) throws {
    let missing = statuses.filter { $0.code != 0 }.map(\.partition)
    guard missing.isEmpty else {
      throw RPCError(
        .unavailable, "partitions without an answer: \(missing.joined(separator: ", "))")
    }
  }
}
