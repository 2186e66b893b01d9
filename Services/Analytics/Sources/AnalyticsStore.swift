public import ORDPAnalyticsAPI

/// A datastream with the store's numeric key for it (what observations and rollups are keyed by).
public struct StreamRecord: Sendable {
  public var key: Int64
  public var datastream: Ordp_Analytics_V1_Datastream

  public init(key: Int64, datastream: Ordp_Analytics_V1_Datastream) {
    self.key = key
    self.datastream = datastream
  }
}

/// New observations of one stream: sorted by time, times unique.
public struct SeriesWrite: Sendable {
  public var stream: Int64
  public var columns: ObservationColumns

  public init(stream: Int64, columns: ObservationColumns) {
    self.stream = stream
    self.columns = columns
  }
}

/// What a write did to one series.
public struct SeriesWriteResult: Sendable, Equatable {
  public var added: Int
  public var duplicates: Int
  /// Observations older than what retention has deleted of the stream: not stored (they
  /// would count twice in the rollups that outlive the raw data).
  public var expired: Int

  public init(added: Int, duplicates: Int, expired: Int = 0) {
    self.added = added
    self.duplicates = duplicates
    self.expired = expired
  }
}

/// A stream's latest observation.
public struct LatestObservation: Sendable, Equatable {
  public var time: Int64
  public var result: Double
  public var quality: UInt32

  public init(time: Int64, result: Double, quality: UInt32) {
    self.time = time
    self.result = result
    self.quality = quality
  }
}

public enum AnalyticsStoreError: Error, Equatable {
  case notFound(String)
  case corrupt(String)
}

/// Where datastreams, observations and rollups live. `SQLiteAnalyticsStore` is the embedded
/// default; a PostgreSQL one can take its place.
public protocol AnalyticsStore: Sendable {
  func datastreams() async throws -> [StreamRecord]
  /// Stores a new datastream (its id set by the caller) and assigns its key.
  func insertDatastream(_ datastream: Ordp_Analytics_V1_Datastream) async throws -> StreamRecord
  func updateDatastream(_ datastream: Ordp_Analytics_V1_Datastream) async throws
  func townRetentions() async throws -> [String: Ordp_Analytics_V1_Retention]
  func setTownRetention(owner: String, _ retention: Ordp_Analytics_V1_Retention) async throws

  /// Writes new observations of several streams and their rollups in one durable
  /// transaction; observations whose stream and time are stored already are duplicates and
  /// change nothing; observations before the time up to which retention has deleted the
  /// stream's raw data are expired and not stored. Returns once durable.
  func write(_ series: [SeriesWrite]) async throws -> [SeriesWriteResult]

  /// Feeds each plan the rollup cells and raw observations it reads, all from one snapshot.
  func fill(_ plans: [(stream: Int64, plan: AggregatePlan)]) async throws -> [AggregatePlan]

  /// Observations of a stream with times in [from, to), at most `limit`, in time order.
  func observations(
    stream: Int64, from: Int64, to: Int64, limit: Int
  ) async throws
    -> ObservationColumns

  func latest(streams: [Int64]) async throws -> [Int64: LatestObservation]

  /// Deletes at most `limit` blocks of raw observations that ended before `rawBefore` and
  /// rollup cells that ended before `rollupsBefore` (nil: none); returns how many it deleted.
  /// Records `rawBefore` as the stream's expiry mark in the same transaction: later writes of
  /// observations before it are refused as expired.
  /// Small steps, each its own short transaction, so that ingest never waits long.
  func expire(
    stream: Int64, rawBefore: Int64?, rollupsBefore: Int64?, limit: Int
  ) async throws
    -> Int
}
