// Every screen group beyond the core is one file in this folder exporting a Feature: its
// routes (children of the shell) and its menu entries. They are collected here, so adding
// a screen group never edits the router or the menu.
import type { RouteRecordRaw } from 'vue-router'
import type { MenuEntry } from '../menu'

export interface Feature {
  routes: RouteRecordRaw[]
  menu?: MenuEntry[]
}

const modules = import.meta.glob<{ default: Feature }>('./*.feature.ts', { eager: true })

export const FEATURES: Feature[] = Object.keys(modules)
  .sort()
  .map((key) => modules[key].default)
