import RescindEngine

/// The words the policy loader accepts, for what describes policy files outside it
/// (the JSON Schemas `rescind schema` prints): read from the loader's own declarations
/// where it has them, so a new document kind or scalar type reaches the schemas too.
package enum PolicyKeywords {
    /// The `kind` of every policy document (`policy_set`, `schema`, …), in the order
    /// messages list them.
    package static var documentKinds: [String] { PolicyMessages.documentKinds }

    /// The scalar type names a request schema field may have (`string`, `decimal`, …),
    /// sorted.
    package static var scalarTypes: [String] { SchemaCompiler.scalarTypes.keys.sorted() }

    /// `weekend:` day names, Monday first; the loader reads them in any case.
    package static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// `history: request_lists:` choices.
    package static var requestListChoices: [String] { HistoryModel.requestListChoices }
}
