import ArgumentParser
import Foundation
import ORDPAnalyticsAPI
import ORDPRPC

/// `ordp streams …`: analytics' datastreams.
struct Streams: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List, create and change datastreams.",
    subcommands: [List.self, Create.self, Update.self])

  struct Row: TableRow {
    var id: String
    var town: String
    var property: String
    var unit: String
    var access: String
    var name: String
    static let columns = ["id", "town", "property", "unit", "access", "name"]
    var values: [String] { [id, town, property, unit, access, name] }

    init(_ stream: Ordp_Analytics_V1_Datastream) {
      id = stream.id
      town = stream.owner
      property = stream.observedProperty
      unit = stream.unit
      access =
        switch stream.accessLevel {
        case .internal: "internal"
        case .restricted: "restricted"
        default: "public"
        }
      name = stream.name
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the datastreams you may see (public ones; more when logged in).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var streams: SelectorOptions
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    func run() async throws {
      let all = try await withAnalytics(connection) { analytics, options in
        var request = Ordp_Analytics_V1_ListDatastreamsRequest()
        request.streams = streams.selector
        request.pageSize = 1000
        var all: [Ordp_Analytics_V1_Datastream] = []
        repeat {
          let page = try await analytics.listDatastreams(request, options: options)
          all += page.datastreams
          request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return all
      }
      print(output.render(all.map(Row.init)))
    }
  }

  /// Fields of a stream the flags set.
  struct Fields: ParsableArguments {
    @Option(help: "Name, e.g. \"Pegel Soestbach\".") var name: String?
    @Option(help: "Description.") var description: String?
    @Option(help: "public, internal or restricted.") var access: String?
    @Option(help: "The catalogue dataset it belongs to.") var dataset: String?
    @Option(help: "Longitude of the sensor (WGS 84).") var longitude: Double?
    @Option(help: "Latitude of the sensor (WGS 84).") var latitude: Double?

    func apply(to stream: inout Ordp_Analytics_V1_Datastream) throws {
      if let name {
        stream.name = name
        if stream.thing.name.isEmpty { stream.thing.name = name }
      }
      if let description { stream.description_p = description }
      if let dataset { stream.datasetID = dataset }
      if let access {
        switch access {
        case "public": stream.accessLevel = .public
        case "internal": stream.accessLevel = .internal
        case "restricted": stream.accessLevel = .restricted
        default: throw ValidationError("--access: public, internal or restricted")
        }
      }
      switch (longitude, latitude) {
      case (nil, nil): break
      case (let lon?, let lat?):
        guard (-180...180).contains(lon), (-90...90).contains(lat) else {
          throw ValidationError("--longitude in -180…180, --latitude in -90…90")
        }
        stream.thing.location = .with {
          $0.longitude = lon
          $0.latitude = lat
        }
      default: throw ValidationError("give --longitude and --latitude together")
      }
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a datastream.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The owning town.") var town: String
    @Option(help: "What is observed, e.g. water_level.") var property: String
    @Option(help: "UCUM unit, e.g. cm, Cel, 1, %.") var unit: String
    @OptionGroup var fields: Fields

    func run() async throws {
      var stream = Ordp_Analytics_V1_Datastream()
      stream.owner = town
      stream.observedProperty = property
      stream.unit = unit
      try fields.apply(to: &stream)
      let created = try await withAnalytics(connection) { analytics, options in
        try await analytics.createDatastream(.with { $0.datastream = stream }, options: options)
      }
      print("created datastream \(created.id)")
    }
  }

  struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a datastream (name, description, access, dataset, location).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The stream's id.") var id: String
    @OptionGroup var fields: Fields

    func run() async throws {
      let updated = try await withAnalytics(connection) { analytics, options in
        var stream = try await analytics.getDatastream(.with { $0.id = id }, options: options)
        try fields.apply(to: &stream)
        return try await analytics.updateDatastream(
          .with { $0.datastream = stream }, options: options)
      }
      print(OutputFormat.table.render([Row(updated)]))
    }
  }
}
