extension CELEnvironment {
    /// Adds Rescind's extensions (not part of CEL): the `decimal` money type and the
    /// business-day calendar functions bound to `calendars`. See `RescindFunctions`.
    public mutating func addRescindExtensions(calendars: CalendarRegistry = CalendarRegistry()) {
        for function in RescindFunctions.decimal + RescindFunctions.calendar(calendars) {
            addFunction(
                function.declaration, implementations: function.implementations,
                constantFoldable: function.constantFoldable)
        }
    }

    /// A type-checking environment with Rescind's extensions.
    public static func rescind(
        variables: [String: CELType] = [:], calendars: CalendarRegistry = CalendarRegistry()
    ) -> CELEnvironment {
        var environment = CELEnvironment(variables: variables)
        environment.addRescindExtensions(calendars: calendars)
        return environment
    }
}
