"""Operations: checks that the running platform is healthy end to end."""
